/* The app's live map (pages/_live_map.py): a Leaflet map drawn in the page itself, not in an
 * iframe, kept across reruns. Each rerun hands it new layer calls (gapmap.maps.LayerCall):
 * the outlines stay in the browser's cache and only values, colours and markers travel.
 *
 * data: {assets: {leaflet, script}, bounds: [minx, miny, maxx, maxy], basemap, height,
 *        layers: [[function, spec], ...]}
 * state: {selected: area code of the last area clicked}
 */
const CALLS = ["gapmapAreaValues", "gapmapMarkers"];

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
    ]);
  }
  return window.__gapmapLiveAssets;
}

function draw(state, root, data, setStateValue) {
  const L = window.L;
  if (!state.map) {
    const el = document.createElement("div");
    el.className = "gapmap-live-map";
    el.style.width = "100%";
    root.appendChild(el);
    state.el = el;
    state.map = L.map(el, {zoomSnap: 0.25, preferCanvas: true});
    L.control.scale().addTo(state.map);
    el.gapmapMap = state.map;  // for tests and the benchmark
  }
  const map = state.map;
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
    .map(([fn, spec]) => window[fn](group, spec));
  group.on("click", (e) => {
    const feature = (e.propagatedFrom || e.layer || {}).feature;
    if (feature && feature.properties && feature.properties.code) {
      setStateValue("selected", feature.properties.code);
    }
  });
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
