// Browser JavaScript shared by the static report and the workshop page (both are one offline
// document, so their scripts are strings): number formatting, escaping, the memory axes and the
// page-map heatmap. Spliced inside each page's own IIFE.
export const CHART_OPTIONS = String.raw`
  function mib(v) { return v == null || isNaN(v) ? '—' : Number(v).toFixed(1) + ' MiB'; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function memoryAxes(option) {
    option.tooltip = option.tooltip || {};
    option.tooltip.valueFormatter = mib;
    option.tooltip.axisPointer = { type: 'line', label: { formatter: function (p) { return Number(p.value).toFixed(2) + ' s'; } } };
    return option;
  }
  function pageMapOption(spec) {
    var g = spec.grid;
    var states = Object.keys(spec.states);
    var xs = g.snapshots.map(function (s) { return s.label || s.phase; });
    var times = g.snapshots.map(function (s) { return (s.tMs / 1000).toFixed(1) + ' s'; });
    // label the columns that end a phase first, then others, never two closer than a label's width
    var plotPx = Math.max(120, (spec.widthPx || 600) - 130);
    var gap = Math.max(1, Math.ceil(xs.length * 22 / plotPx));
    var narrow = (spec.widthPx || 600) < 500;
    var shown = {};
    var last = -Infinity;
    g.snapshots.forEach(function (s, i) { if (/^(end of|before) /.test(s.label || '') && i - last >= gap) { shown[i] = true; last = i; } });
    if (g.snapshots.length && !Object.keys(shown).length) shown[0] = true;
    var cells = g.snapshots.length ? g.snapshots[0].cells.length : 0;
    var cellBytes = g.pagesPerCell * g.pageSize;
    var ys = [];
    for (var y = 0; y < cells; y++) ys.push((y * cellBytes / 1048576).toFixed(1) + ' MiB');
    var points = [];
    g.snapshots.forEach(function (s, x) {
      for (var y = 0; y < s.cells.length; y++) {
        var k = states.indexOf(s.cells[y]);
        if (k >= 0) points.push([x, y, k]);
      }
    });
    return {
      animation: false,
      grid: { left: 100, right: 30, top: 70, bottom: 100, show: true, backgroundColor: '#ececec', borderWidth: 0 },
      xAxis: { type: 'category', data: xs, name: 'snapshot (end of each phase, then during it)', nameLocation: 'middle', nameGap: 80, nameTextStyle: { fontSize: 15 }, axisLabel: { fontSize: 12, lineHeight: 15, rotate: 40, interval: function (i) { return shown[i] === true; } } },
      yAxis: { type: 'category', data: ys, name: 'offset in region', nameTextStyle: { fontSize: 15 }, axisLabel: { fontSize: 14, interval: Math.max(0, Math.ceil(cells / 8) - 1) } },
      visualMap: {
        type: 'piecewise', dimension: 2, orient: 'horizontal', top: 4, left: 'center', textStyle: { fontSize: narrow ? 12 : 16 }, itemGap: narrow ? 6 : 10, itemWidth: narrow ? 14 : 20,
        pieces: states.map(function (s, k) { return { value: k, label: spec.states[s].label, color: spec.states[s].color }; })
      },
      tooltip: {
        formatter: function (p) {
          return esc(xs[p.value[0]] + ' (' + times[p.value[0]] + ') · ' + ys[p.value[1]] + ': ' + spec.states[states[p.value[2]]].label);
        }
      },
      series: [{ type: 'heatmap', data: points, progressive: 0 }]
    };
  }
`;
