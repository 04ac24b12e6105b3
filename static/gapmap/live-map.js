/* The app's live map (pages/_live_map.py): a Leaflet map drawn in the page itself, not in an
 * iframe, kept across reruns. Each rerun hands it new layer calls (gapmap.maps.LayerCall):
 * the outlines stay in the browser's cache and only values, colours and markers travel.
 *
 * data: {assets: {leaflet, script, live: this module}, bounds: [minx, miny, maxx, maxy], basemap, height,
 *        layers: [[function, spec], ...],
 *        clicks: report every click (else only which area was clicked),
 *        label: the map's accessible name, focusKinds: kind indexes whose markers take keyboard
 *        focus (Tab to one, Enter picks it, as a click would)}
 * state: {selected: area code of the last area clicked (without clicks),
 *         clicked: {lat, lng, marker, n} of the last click (with clicks): a marker's own
 *                  position when a marker was clicked (marker: true), else where the map was
 *                  clicked; n grows with each click, so a second click on the same spot is a new click}
 */
const CALLS = ["gapmapShape", "gapmapAreaValues", "gapmapMarkers", "gapmapSites"];

function load(tag, attrs) {
  return new Promise((resolve, reject) => {
    const el = document.createElement(tag);
    Object.assign(el, attrs);
    el.onload = resolve;
    el.onerror = () => reject(new Error("could not load " + (attrs.src || attrs.href)));
    document.head.appendChild(el);
  });
}

function assets(where) {
  // Once per page: Leaflet, its stylesheet and gapmap's layer script (all from the app's
  // own static folder, cached by the browser).
  if (!window.__gapmapLiveAssets) {
    window.__gapmapLiveAssets = Promise.all([
      window.L ? null : load("script", {src: where.leaflet + "/leaflet.js"}),
      window.gapmapAreaValues ? null : load("script", {src: where.script}),
      load("link", {rel: "stylesheet", href: where.leaflet + "/leaflet.css"}),
    ]).catch((err) => {
      window.__gapmapLiveAssets = null;  // the next rerun tries again
      throw err;
    });
  }
  return window.__gapmapLiveAssets;
}

function report(state, e, at, marker) {
  // A click on a marker reaches the marker's layer and, on a canvas, the map as well: one report.
  if (!state.clicks || (e.originalEvent && e.originalEvent === state.lastClick)) { return; }
  state.lastClick = e.originalEvent;
  state.n = Math.max((state.n || 0) + 1, Date.now());  // new on every click, even after a remount
  state.report("clicked", {lat: at.lat, lng: at.lng, marker: marker, n: state.n});
}

function draw(state, root, data, setStateValue) {
  const L = window.L;
  if (!state.map) {
    const el = document.createElement("div");
    el.className = "gapmap-live-map";
    el.style.width = "100%";
    root.appendChild(el);
    state.el = el;
    // Keyboard: the container is focusable (Leaflet's keyboard handler): arrows pan, + and - zoom.
    el.setAttribute("role", "region");
    state.map = L.map(el, {zoomSnap: 0.25, preferCanvas: true, keyboard: true});
    L.control.scale().addTo(state.map);
    el.gapmapMap = state.map;  // for tests and the benchmark
  }
  const map = state.map;
  state.el.setAttribute("aria-label", data.label || "Map");
  if (state.height !== data.height) {
    state.el.style.height = data.height + "px";
    state.height = data.height;
    map.invalidateSize();
  }
  const bounds = JSON.stringify(data.bounds);
  if (state.bounds !== bounds) {
    const [minx, miny, maxx, maxy] = data.bounds;
    map.fitBounds([[miny, minx], [maxy, maxx]]);
    state.bounds = bounds;
  }
  if (data.basemap && !state.tiles) {
    state.tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    }).addTo(map);
  } else if (!data.basemap && state.tiles) {
    map.removeLayer(state.tiles);
    state.tiles = null;
  }
  // The new layers go on over the old ones, which leave once the new have drawn: no blank map.
  const group = L.featureGroup();
  const drawn = data.layers
    .filter(([fn]) => CALLS.includes(fn))
    .map(([fn, spec]) => window[fn](group, fn === "gapmapMarkers" ? {...spec, focus: data.focusKinds || []} : spec));
  state.report = setStateValue;
  state.clicks = Boolean(data.clicks);
  group.on("click", (e) => {
    const layer = e.propagatedFrom || e.layer || {};
    if (layer.getLatLng) {
      report(state, e, layer.getLatLng(), true);
    } else if (!state.clicks && layer.feature && layer.feature.properties && layer.feature.properties.code) {
      setStateValue("selected", layer.feature.properties.code);
    }
  });
  if (!state.listening) {  // one listener per map: it reads the latest settings from state
    state.listening = true;
    map.on("click", (e) => report(state, e, e.latlng, false));
  }
  group.addTo(map);
  const previous = state.group;
  state.group = group;
  Promise.allSettled(drawn).then(() => {
    if (previous) { map.removeLayer(previous); }
  });
}

export default function (component) {
  const {data, parentElement, setStateValue} = component;
  const state = parentElement.__gapmapLive || (parentElement.__gapmapLive = {});
  assets(data.assets)
    .then(() => draw(state, parentElement, data, setStateValue))
    .catch((err) => {
      parentElement.textContent = "The map could not be drawn: " + err.message;
    });
  // Streamlit may also call this when a newer call overtook this one: the map is shared by
  // every call, so it goes only when its element has really left the page.
  return () => {
    setTimeout(() => {
      if (!parentElement.isConnected && state.map) {
        state.map.remove();
        state.map = null;
      }
    }, 0);
  };
}
