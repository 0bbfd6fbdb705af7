// "Record your greeting" on a device's page: the microphone through an AudioWorklet, the
// samples kept in the page and made into a WAV (16-bit mono PCM at the AudioContext's rate),
// played back on "Listen", and posted on "Save" through the page's own greeting form, as an
// upload: the server checks it the same way (too long, silent, not WAV) and converts it.
// Without JavaScript, or without the Web Audio API, the recorder stays hidden and the file
// upload is all there is. Every message comes translated from json_script
// "greeting-recorder-text".

const recorder = document.getElementById("greeting-recorder");

function supported() {
  return Boolean(
    recorder &&
      navigator.mediaDevices &&
      navigator.mediaDevices.getUserMedia &&
      window.AudioContext &&
      window.AudioWorkletNode,
  );
}

// A WAV file (RIFF, PCM 16-bit, one channel) of Float32 samples in [-1, 1].
function wavBlob(samples, rate) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const ascii = (offset, value) => {
    for (let i = 0; i < value.length; i += 1) {
      view.setUint8(offset + i, value.charCodeAt(i));
    }
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // the fmt chunk's size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true); // bytes a second
  view.setUint16(32, 2, true); // bytes a frame
  view.setUint16(34, 16, true); // bits a sample
  ascii(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i += 1) {
    const sample = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, sample < 0 ? sample * 0x8000 : sample * 0x7fff, true);
  }
  return new Blob([buffer], { type: "audio/wav" });
}

function setUp() {
  const text = JSON.parse(document.getElementById("greeting-recorder-text").textContent);
  const form = recorder.closest("form");
  const recordButton = document.getElementById("greeting-record");
  const stopButton = document.getElementById("greeting-stop");
  const listenButton = document.getElementById("greeting-listen");
  const saveButton = document.getElementById("greeting-save");
  const statusLine = document.getElementById("greeting-status");
  const errorLine = document.getElementById("greeting-error");
  const playback = document.getElementById("greeting-playback");
  const maxSeconds = Number(recorder.dataset.maxSeconds);

  let capture = null; // {stream, context, chunks, timer} while recording
  let recording = null; // {blob, url, seconds} once stopped

  const say = (message) => {
    statusLine.textContent = message;
  };
  // The alert region is in the page from the start: what is written into it is announced.
  const fail = (message) => {
    errorLine.replaceChildren();
    if (message) {
      const badge = document.createElement("p");
      badge.className = "badge danger";
      badge.textContent = message;
      errorLine.append(badge);
    }
  };
  const withSeconds = (template, seconds) => template.replace("%(seconds)s", String(seconds));
  const buttons = ({ record, stop, listen, save }) => {
    recordButton.disabled = !record;
    stopButton.disabled = !stop;
    listenButton.disabled = !listen;
    saveButton.disabled = !save;
  };

  async function start() {
    fail("");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false },
        video: false,
      });
    } catch (error) {
      const missing =
        error && (error.name === "NotFoundError" || error.name === "OverconstrainedError");
      fail(missing ? text.mic_missing : text.mic_refused);
      return;
    }
    const context = new AudioContext();
    try {
      await context.audioWorklet.addModule(recorder.dataset.workletUrl);
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      context.close();
      fail(text.failed);
      return;
    }
    const source = context.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(context, "greeting-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      channelCount: 1,
      channelCountMode: "explicit",
    });
    const chunks = [];
    node.port.onmessage = (event) => chunks.push(event.data);
    source.connect(node);
    node.connect(context.destination); // silent: the processor writes nothing to its output
    capture = { stream, context, chunks, timer: setTimeout(stop, maxSeconds * 1000) };
    if (recording) {
      URL.revokeObjectURL(recording.url);
      recording = null;
    }
    buttons({ record: false, stop: true, listen: false, save: false });
    say(text.recording);
    stopButton.focus();
  }

  async function stop() {
    if (!capture) {
      return;
    }
    const { stream, context, chunks, timer } = capture;
    capture = null;
    clearTimeout(timer);
    stream.getTracks().forEach((track) => track.stop());
    const rate = context.sampleRate;
    await context.close();
    // At most the longest greeting the server takes (the timer may run a block over).
    const length = Math.min(
      chunks.reduce((total, chunk) => total + chunk.length, 0),
      Math.floor(maxSeconds * rate),
    );
    const samples = new Float32Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      const kept = chunk.subarray(0, length - offset);
      samples.set(kept, offset);
      offset += kept.length;
    }
    const blob = wavBlob(samples, rate);
    const seconds = Math.round(length / rate);
    recording = { blob, url: URL.createObjectURL(blob), seconds };
    playback.src = recording.url;
    buttons({ record: true, stop: false, listen: true, save: true });
    say(withSeconds(text.recorded, seconds));
    listenButton.focus();
  }

  async function save() {
    if (!recording) {
      return;
    }
    const data = new FormData(form);
    data.set(recorder.dataset.field, recording.blob, "greeting.wav");
    buttons({ record: false, stop: false, listen: false, save: false });
    say(text.saving);
    fail("");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") },
        redirect: "manual", // the redirect carries the "saved" message: follow it as a page
      });
    } catch (error) {
      response = null;
    }
    if (response && response.type === "opaqueredirect") {
      const done = new URL(recorder.dataset.doneUrl, window.location.href);
      if (done.pathname === window.location.pathname) {
        window.location.hash = done.hash;
        window.location.reload();
      } else {
        window.location.assign(done.href);
      }
      return;
    }
    // Refused: the form's own message for the field (the server's checks, in the user's
    // language), from the page it sent back.
    let reason = text.failed;
    if (response && response.status === 400) {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const error = page.getElementById(recorder.dataset.errorId);
      reason = (error && error.textContent.trim()) || reason;
    }
    say("");
    fail(reason);
    buttons({ record: true, stop: false, listen: true, save: true });
    recordButton.focus();
  }

  recordButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  listenButton.addEventListener("click", () => {
    if (recording) {
      playback.currentTime = 0;
      playback.play().catch(() => fail(text.failed));
      say(text.playing);
    }
  });
  playback.addEventListener("ended", () => say(withSeconds(text.recorded, recording.seconds)));
  saveButton.addEventListener("click", save);
  buttons({ record: true, stop: false, listen: false, save: false });
  recorder.hidden = false;
}

if (supported()) {
  setUp();
}
