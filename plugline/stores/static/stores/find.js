/* "Find a store": the "Use my location" button, and the map of the stores found.
 *
 * The map is Leaflet over the outline of the countries bundled with Plugline
 * (world-atlas, read with topojson-client): no tile server, no request
 * leaves the site unless the operator configured a tile layer. Everything it
 * shows comes from the page's #store-map-data (json_script), texts included,
 * already in the reader's language. The list under the map is the result;
 * the map numbers its markers like the list.
 */
(function () {
  "use strict";

  var PIN_SIZE = 28;
  // Pins closer than this (in pixels) are moved apart, so that each one can
  // be seen, pointed at and tapped (WCAG 2.2 target size).
  var PIN_SPACING = PIN_SIZE + 4;

  function locationButton() {
    var button = document.getElementById("use-my-location");
    if (!button || !("geolocation" in navigator)) {
      return;
    }
    var form = button.form;
    var status = document.getElementById("location-status");
    var asking = false;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (asking) {
        return;
      }
      asking = true;
      status.textContent = button.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.elements.lat.value = position.coords.latitude.toFixed(5);
          form.elements.lon.value = position.coords.longitude.toFixed(5);
          // The location is the search: a city typed earlier would only confuse the results.
          form.elements.q.value = "";
          form.submit();
        },
        function (error) {
          asking = false;
          status.textContent =
            error.code === error.PERMISSION_DENIED ? button.dataset.denied : button.dataset.unavailable;
        },
        { timeout: 15000, maximumAge: 300000 }
      );
    });
  }

  // world-atlas joins shapes across the 180th meridian (Russia, Fiji) and
  // Antarctica wraps around the pole: drawn as they are, they stripe the map.
  function fixAntimeridian(collection) {
    collection.features = collection.features.filter(function (feature) {
      return feature.id !== "010"; // Antarctica
    });
    collection.features.forEach(function (feature) {
      var polygons =
        feature.geometry.type === "Polygon" ? [feature.geometry.coordinates] : feature.geometry.coordinates;
      var crosses = polygons.some(function (polygon) {
        return polygon.some(function (ring) {
          return ring.some(function (point, i) {
            return i > 0 && Math.abs(point[0] - ring[i - 1][0]) > 180;
          });
        });
      });
      if (crosses) {
        polygons.forEach(function (polygon) {
          polygon.forEach(function (ring) {
            ring.forEach(function (point) {
              if (point[0] < 0) {
                point[0] += 360;
              }
            });
          });
        });
      }
    });
    return collection;
  }

  function popupContent(store) {
    var box = document.createElement("div");
    var name = document.createElement("strong");
    name.textContent = store.number + ". " + store.name;
    var address = document.createElement("div");
    address.textContent = store.address;
    var distance = document.createElement("div");
    distance.textContent = store.distance;
    box.append(name, address, distance);
    return box;
  }

  // Moves pins that would cover each other, or the place searched from, to
  // the nearest free spot around their place (in the list's order).
  function spreadPins(map, markers, origin) {
    var placed = [map.latLngToLayerPoint(origin)];
    markers.forEach(function (marker) {
      var at = map.latLngToLayerPoint(marker.getLatLng());
      var offset = [0, 0];
      search: for (var ring = 0; ring < 6; ring++) {
        var steps = ring === 0 ? 1 : 8 * ring;
        for (var step = 0; step < steps; step++) {
          var angle = (2 * Math.PI * step) / steps - Math.PI / 2;
          var dx = Math.round(ring * PIN_SPACING * Math.cos(angle));
          var dy = Math.round(ring * PIN_SPACING * Math.sin(angle));
          var free = placed.every(function (other) {
            return Math.max(Math.abs(at.x + dx - other.x), Math.abs(at.y + dy - other.y)) >= PIN_SPACING;
          });
          if (free) {
            offset = [dx, dy];
            break search;
          }
        }
      }
      placed.push({ x: at.x + offset[0], y: at.y + offset[1] });
      var element = marker.getElement();
      element.style.marginLeft = offset[0] - PIN_SIZE / 2 + "px";
      element.style.marginTop = offset[1] - PIN_SIZE / 2 + "px";
    });
  }

  function drawMap() {
    var container = document.getElementById("store-map");
    var source = document.getElementById("store-map-data");
    if (!container || !source || !window.L || !window.topojson) {
      return;
    }
    var data = JSON.parse(source.textContent);
    container.hidden = false;
    document.querySelectorAll(".map-note").forEach(function (note) {
      note.hidden = false;
    });

    var map = L.map(container, { zoomControl: false, zoomSnap: 0.25, minZoom: 1, maxZoom: 18 });
    L.control.zoom({ zoomInTitle: data.text.zoomIn, zoomOutTitle: data.text.zoomOut }).addTo(map);
    map.attributionControl.addAttribution(data.outlineAttribution);
    if (data.tiles) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 18 }).addTo(map);
    }
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", data.text.closePopup);
      }
    });

    function drawPlaces() {
      var points = data.stores
        .map(function (store) {
          return [store.lat, store.lon];
        })
        .concat([[data.origin.lat, data.origin.lon]]);
      // Room for the zoom buttons at the top left and the attribution at the
      // bottom. The outline is drawn at 1:50 million, a few kilometres off at
      // best: closer than zoom 10 its coasts would be misleading without tiles
      // (stores closer than that have their pins set side by side instead).
      map.fitBounds(L.latLngBounds(points), {
        paddingTopLeft: [60, 40],
        paddingBottomRight: [40, 48],
        maxZoom: data.tiles ? 15 : 10,
      });
      // The place searched from, drawn over the pins (a pin may stand on it)
      // but not in the way of pointing at them.
      var originPane = map.createPane("origin");
      originPane.style.zIndex = 650;
      originPane.style.pointerEvents = "none";
      L.circleMarker([data.origin.lat, data.origin.lon], {
        pane: "origin",
        radius: 6,
        color: "#a4161a",
        weight: 3,
        fillColor: "#ffffff",
        fillOpacity: 1,
        interactive: false,
      }).addTo(map);
      var markers = data.stores.map(function (store) {
        var marker = L.marker([store.lat, store.lon], {
          icon: L.divIcon({
            className: "store-pin",
            html: String(store.number),
            iconSize: [PIN_SIZE, PIN_SIZE],
            iconAnchor: [PIN_SIZE / 2, PIN_SIZE / 2],
          }),
          keyboard: true,
          riseOnHover: true,
        });
        marker.bindPopup(popupContent(store));
        marker.addTo(map);
        marker.getElement().setAttribute("aria-label", store.label);
        return marker;
      });
      var origin = L.latLng(data.origin.lat, data.origin.lon);
      spreadPins(map, markers, origin);
      map.on("zoomend", function () {
        spreadPins(map, markers, origin);
      });
      window.storeMapReady = true;
    }

    fetch(data.outline)
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.statusText);
        }
        return response.json();
      })
      .then(function (topology) {
        L.geoJSON(fixAntimeridian(topojson.feature(topology, topology.objects.countries)), {
          style: { color: "#6b7785", weight: 0.7, fillColor: "#f4f1ea", fillOpacity: 1 },
          interactive: false,
        }).addTo(map);
      })
      .catch(function () {
        // Without the outline, the pins still show where the stores are.
      })
      .then(drawPlaces);
  }

  function start() {
    locationButton();
    drawMap();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
