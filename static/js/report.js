// The report form's "use my location" button: fills latitude and longitude from the
// browser. Without JavaScript or without permission, the fields are typed by hand.
"use strict";
(() => {
  const button = document.getElementById("use-location");
  const status = document.getElementById("location-status");
  if (!button || !status || !("geolocation" in navigator)) return;
  button.classList.remove("d-none");
  button.addEventListener("click", () => {
    status.textContent = button.dataset.busy || "";
    navigator.geolocation.getCurrentPosition((position) => {
      const lat = document.getElementById("f-latitude");
      const lon = document.getElementById("f-longitude");
      if (lat) lat.value = position.coords.latitude.toFixed(6);
      if (lon) lon.value = position.coords.longitude.toFixed(6);
      status.textContent = "";
    }, () => {
      status.textContent = button.dataset.failed || "";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
