#!/bin/sh
# Makes the default greetings (en, fr, da) and the tone after them: 8 kHz mono
# 16-bit PCM WAV, what the voicemail server plays (baresip's aufile).
# Run from this folder; needs Debian's espeak-ng and sox (not needed at run time).
set -eu
say() {  # language, text
    espeak-ng -v "$1" -s 150 -w "/tmp/greeting-$1.wav" "$2"
    sox "/tmp/greeting-$1.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1.wav" norm -3
    rm "/tmp/greeting-$1.wav"
}
say en "The person you are calling is not available. Please leave a message after the tone."
say fr "Votre correspondant n'est pas disponible. Laissez un message après le bip sonore."
say da "Den du ringer til, kan ikke tage telefonen. Læg en besked efter tonen."
sox -n -r 8000 -c 1 -b 16 -e signed-integer beep.wav synth 0.5 sine 1000 vol 0.5 pad 0.2 0.1
