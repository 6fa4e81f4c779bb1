// The pre-join camera and microphone check: a live preview, the choice of devices (kept
// for the room in localStorage) and a microphone level meter.
"use strict";
(() => {
  const box = document.getElementById("prejoin");
  if (!box) return;
  const t = JSON.parse(box.dataset.i18n || "{}");
  const preview = document.getElementById("prejoin-preview");
  const cameras = document.getElementById("prejoin-camera");
  const mics = document.getElementById("prejoin-mic");
  const level = document.getElementById("prejoin-level");
  const status = document.getElementById("prejoin-status");
  const DEVICES_KEY = "odr.devices";
  let stream = null;
  let audio = null;
  let frame = 0;

  const saved = () => {
    try {
      return JSON.parse(localStorage.getItem(DEVICES_KEY) || "{}");
    } catch {
      return {};
    }
  };

  function stop() {
    cancelAnimationFrame(frame);
    if (audio) audio.close().catch(() => {});
    audio = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }

  function explain(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return t.denied;
    if (name === "NotFoundError" || name === "OverconstrainedError") return t.none;
    if (name === "NotReadableError") return t.busy;
    return t.failed;
  }

  async function fill(select, kind, current) {
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind);
    select.replaceChildren(...devices.map((device, index) => {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || `${t.device} ${index + 1}`;
      option.selected = device.deviceId === current;
      return option;
    }));
    select.disabled = devices.length === 0;
  }

  function meter() {
    const track = stream && stream.getAudioTracks()[0];
    if (!track || !window.AudioContext) return;
    audio = new AudioContext();
    const analyser = audio.createAnalyser();
    analyser.fftSize = 512;
    audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const draw = () => {
      analyser.getFloatTimeDomainData(samples);
      let peak = 0;
      for (const s of samples) peak = Math.max(peak, Math.abs(s));
      level.value = Math.min(1, peak * 2);
      frame = requestAnimationFrame(draw);
    };
    draw();
  }

  function remember() {
    const settingsOf = (tracks) => (tracks[0] ? tracks[0].getSettings().deviceId : undefined);
    const choice = { audio: settingsOf(stream.getAudioTracks()), video: settingsOf(stream.getVideoTracks()) };
    localStorage.setItem(DEVICES_KEY, JSON.stringify(choice));
    return choice;
  }

  async function start(wanted) {
    stop();
    const pick = (id) => (id ? { deviceId: { exact: id } } : true);
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: pick(wanted.audio), video: pick(wanted.video) });
      status.textContent = t.ok;
    } catch (error) {
      if (wanted.audio || wanted.video) return start({});  // a remembered device is gone
      status.textContent = explain(error);
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        stream = null;
      }
    }
    preview.srcObject = stream;
    const choice = stream ? remember() : {};
    await fill(cameras, "videoinput", choice.video);
    await fill(mics, "audioinput", choice.audio);
    if (stream) meter();
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.RTCPeerConnection) {
    status.textContent = t.unsupported;
    return;
  }
  const changed = () => start({ audio: mics.value, video: cameras.value });
  cameras.addEventListener("change", changed);
  mics.addEventListener("change", changed);
  // The room opens the devices again; release them when leaving this page.
  window.addEventListener("pagehide", stop);
  start(saved());
})();
