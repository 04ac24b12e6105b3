/* gapmap's map layers, loaded once per map (gapmap.maps.base_map; inlined in offline hand-outs).
 *
 * gapmapAreaValues(group, spec): the values-only area layer (gapmap.maps.area_values). The map
 *   is never remounted; each change of setting sends only a colour index and the figures per
 *   area, over outlines the browser fetched once from spec.url (gapmap.geometry_cache). A url
 *   "#id" names the outlines embedded in the page instead (offline hand-outs, gapmap.maps.choropleth).
 *   The legend is drawn by the page, under the map.
 * gapmapMarkers(parent, spec): provider markers from coordinate arrays (gapmap.maps.provider_layers).
 * gapmapSites(parent, spec): numbered sites of a recruitment plan and their catchments
 *   (gapmap.siting_map.site_layer).
 * gapmapShape(parent, spec): a council boundary (gapmap.maps.outline_layer).
 */
(function (root) {
  "use strict";

  // The outlines file: rings as Google encoded polylines at 1e-5 degree, without their
  // closing point. Decoded once per file into GeoJSON.
  function ring(text) {
    var points = [], i = 0, lat = 0, lon = 0;
    while (i < text.length) {
      var pair = [0, 0];
      for (var c = 0; c < 2; c++) {
        var b, shift = 0, value = 0;
        do { b = text.charCodeAt(i++) - 63; value |= (b & 31) << shift; shift += 5; } while (b >= 32);
        pair[c] = (value & 1) ? ~(value >> 1) : (value >> 1);
      }
      lat += pair[0]; lon += pair[1];
      points.push([lon / 1e5, lat / 1e5]);
    }
    if (points.length) { points.push(points[0]); }
    return points;
  }

  function toGeoJSON(doc) {
    if (doc.format !== "gapmap-outlines") { throw new Error("area outlines: unknown format"); }
    // Every feature, in file order (spec.index follows it), even one left with no polygon.
    return {type: "FeatureCollection", features: doc.features.map(function (f) {
      var parts = f.polygons.map(function (rings) { return rings.map(ring); });
      return {type: "Feature", properties: {code: f.code, name: f.name},
              geometry: parts.length === 1 ? {type: "Polygon", coordinates: parts[0]}
                                           : {type: "MultiPolygon", coordinates: parts}};
    })};
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function areaValues(group, spec) {
    var L = root.L;
    var cache = root.__gapmapGeometry = root.__gapmapGeometry || {};
    if (!cache[spec.url] && spec.url.charAt(0) === "#") {  // embedded in the page (a hand-out)
      var embedded = root.document.getElementById(spec.url.slice(1));
      cache[spec.url] = Promise.resolve(embedded.textContent).then(JSON.parse).then(toGeoJSON);
    }
    if (!cache[spec.url]) {
      cache[spec.url] = fetch(spec.url).then(function (r) {
        if (!r.ok) { throw new Error("area outlines: HTTP " + r.status); }
        return r.json();
      }).then(toGeoJSON);
    }
    // Numeric columns travel as numbers with their decimals (spec.digits[c]); text as text.
    var formats = spec.digits.map(function (d) {
      if (d === null) { return null; }
      return new Intl.NumberFormat("en-GB", {minimumFractionDigits: d, maximumFractionDigits: d});
    });
    function show(c, v) {
      if (formats[c] === null || typeof v === "string") { return v; }
      return v === null ? "\u2013" : formats[c].format(v);
    }
    function cell(c, k) {  // a text column with few distinct values travels as codes into its labels
      var col = spec.values[c];
      return Array.isArray(col) ? col[k] : col.labels[col.codes[k]];
    }
    return cache[spec.url].then(function (geo) {  // settles once drawn (the live map waits for it)
      var at = {};
      geo.features.forEach(function (f, k) { at[f.properties.code] = k; });
      var style = function (f) {
        var k = spec.index[at[f.properties.code]];
        return {fillColor: k === undefined ? spec.palette[spec.palette.length - 1] : spec.palette[k],
                color: "#555555", weight: 0.6, fillOpacity: 0.78};
      };
      var layer = L.geoJSON(geo, {
        style: style,
        onEachFeature: function (f, l) {
          l.bindTooltip(function () {
            var k = at[f.properties.code];
            var rows = "<tr><th>Area</th><td>" + esc(f.properties.name) + "</td></tr>"
              + "<tr><th>Code</th><td>" + esc(f.properties.code) + "</td></tr>";
            spec.labels.forEach(function (label, c) {
              rows += "<tr><th>" + esc(label) + "</th><td>" + esc(show(c, cell(c, k))) + "</td></tr>";
            });
            return "<table>" + rows + "</table>";
          }, {sticky: true});
          l.on("mouseover", function () { l.setStyle({weight: 2.5, color: "#000000"}); });
          l.on("mouseout", function () { layer.resetStyle(l); });
        }
      });
      group.addLayer(layer);
      layer.bringToBack();
    });
  }

  // A closed provider is a cross (×), an open one a dot: they differ by shape, not only by
  // colour (as on the printed maps). Drawn on the map's canvas; a dot where there is no canvas.
  var Cross = null;
  function cross(at, options) {
    var L = root.L;
    if (!Cross) {
      Cross = L.CircleMarker.extend({
        _updatePath: function () {
          var r = this._renderer;
          if (!r._ctx) { r._updateCircle(this); return; }
          if (!r._drawing || this._empty()) { return; }
          var p = this._point, s = Math.max(Math.round(this._radius), 1), ctx = r._ctx;
          ctx.beginPath();
          ctx.moveTo(p.x - s, p.y - s); ctx.lineTo(p.x + s, p.y + s);
          ctx.moveTo(p.x - s, p.y + s); ctx.lineTo(p.x + s, p.y - s);
          r._fillStroke(ctx, this);
        }
      });
    }
    return new Cross(at, options);
  }

  function markers(parent, spec) {
    var L = root.L;
    var group = L.featureGroup();
    spec.lat.forEach(function (lat, i) {
      var colour = spec.closed ? spec.closedColour : spec.colours[spec.kind[i]];
      var m = spec.closed
        ? cross([lat, spec.lon[i]], {radius: 5, color: colour, weight: 3, fill: false, lineCap: "square"})
        : L.circleMarker([lat, spec.lon[i]], {radius: 4, color: colour, weight: 1, fillColor: colour, fillOpacity: 0.85});
      m.bindTooltip(function () {
        var rows = "";
        spec.labels.forEach(function (label, c) {
          var v = Array.isArray(spec.values[c]) ? spec.values[c][i] : spec.values[c];
          rows += "<tr><th>" + esc(label) + "</th><td>" + esc(v) + "</td></tr>";
        });
        return "<table>" + rows + "</table>";
      });
      group.addLayer(m);
      if (spec.focus && spec.focus.indexOf(spec.kind[i]) >= 0) {  // a keyboard stop: Tab reaches it, Enter picks it
        group.addLayer(focusable([lat, spec.lon[i]], markerName(spec, i), m));
      }
    });
    parent.addLayer(group);
  }

  // The marker's name for screen readers: its kind, its name where privacy allows, its figures.
  function markerName(spec, i) {
    var bits = [];
    spec.labels.forEach(function (label, c) {
      var v = Array.isArray(spec.values[c]) ? spec.values[c][i] : spec.values[c];
      bits.push(label === "Kind" || label === "Name" ? String(v) : label + " " + v);
    });
    if (spec.closed) { bits.unshift("Closed"); }
    return bits.join(", ");
  }

  // Enter or Space on a focused marker does what a click does (Leaflet only tabs to it).
  function pressable(m) {
    m.getElement().addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        e.stopPropagation();
        m.fire("click", {latlng: m.getLatLng(), originalEvent: e}, true);
      }
    });
  }

  // An invisible, focusable marker (a button) over a canvas dot, named ``name``; it shows the
  // dot's tooltip while focused.
  function focusable(at, name, dot) {
    var L = root.L;
    var m = L.marker(at, {keyboard: true, title: name, icon: L.divIcon({className: "gapmap-focus-marker",
      html: "", iconSize: [24, 24], iconAnchor: [12, 12]})});
    m.on("add", function () {
      var el = m.getElement();
      el.setAttribute("aria-label", name);
      pressable(m);
      el.addEventListener("focus", function () { dot.openTooltip(); });
      el.addEventListener("blur", function () { dot.closeTooltip(); });
    });
    return m;
  }

  // Suggested (and the user's own) provider sites: a numbered badge and the catchment circle.
  function sites(parent, spec) {
    var L = root.L;
    var group = L.featureGroup();
    spec.lat.forEach(function (lat, i) {
      var colour = spec.mine[i] ? spec.colours.mine : spec.colours.suggested;
      var at = [lat, spec.lon[i]];
      group.addLayer(L.circle(at, {
        radius: spec.radiusM, color: colour, weight: 1.5, fill: true, fillOpacity: 0.06,
        interactive: false  // clicks inside a catchment reach the map (add a provider there)
      }));
      var badge = L.marker(at, {keyboard: true, icon: L.divIcon({
        className: "gapmap-site",
        html: '<div style="background:' + colour + ';color:#fff;border:2px solid #fff;border-radius:50%;'
          + 'width:26px;height:26px;line-height:22px;text-align:center;font:bold 12px sans-serif;'
          + 'box-shadow:0 0 3px #000">' + esc(spec.rank[i]) + "</div>",
        iconSize: [26, 26], iconAnchor: [13, 13]
      })});
      var what = (spec.mine[i] ? "Your provider " : "Suggested site ") + spec.rank[i] + ", " + spec.postcode[i];
      badge.on("add", function () {  // a button for the keyboard: Enter removes it, as a click does
        badge.getElement().setAttribute("aria-label", what + ". " + spec.reached[i] + ". Press Enter to remove.");
        pressable(badge);
      });
      badge.bindTooltip("<b>" + esc(spec.mine[i] ? "Your provider" : "Suggested site") + " " + esc(spec.rank[i])
        + "</b> · " + esc(spec.postcode[i]) + "<br>" + esc(spec.reached[i]) + "<br>" + esc(spec.reason[i])
        + "<br><i>Click to remove</i>");
      group.addLayer(badge);
    });
    parent.addLayer(group);
  }

  // A plain shape (the council boundary): a line, or a light fill; never clickable.
  function shape(parent, spec) {
    var style = spec.style;
    parent.addLayer(root.L.geoJSON(spec.geometry, {style: function () { return style; }, interactive: false}));
  }

  root.gapmapAreaValues = areaValues;
  root.gapmapShape = shape;
  root.gapmapMarkers = markers;
  root.gapmapSites = sites;
  if (typeof module !== "undefined" && module.exports) {  // node, for the decoder's test
    module.exports = {ring: ring, toGeoJSON: toGeoJSON};
  }
})(typeof window !== "undefined" ? window : globalThis);
