// The greeting recorder's AudioWorklet: hands each block of the microphone's first channel
// (Float32 samples at the AudioContext's rate) to the page, which builds the WAV.
class GreetingCapture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel && channel.length) {
      this.port.postMessage(channel.slice(0));
    }
    return true;
  }
}

registerProcessor("greeting-capture", GreetingCapture);
