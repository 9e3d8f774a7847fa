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
    var xs = g.snapshots.map(function (s) { return (s.tMs / 1000).toFixed(1) + ' s\n' + s.phase; });
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
      grid: { left: 100, right: 30, top: 70, bottom: 76, show: true, backgroundColor: '#ececec', borderWidth: 0 },
      xAxis: { type: 'category', data: xs, name: 'time and phase', nameLocation: 'middle', nameGap: 52, nameTextStyle: { fontSize: 15 }, axisLabel: { fontSize: 14, lineHeight: 18, interval: Math.max(0, Math.ceil(xs.length / 8) - 1) } },
      yAxis: { type: 'category', data: ys, name: 'offset in region', nameTextStyle: { fontSize: 15 }, axisLabel: { fontSize: 14, interval: Math.max(0, Math.ceil(cells / 8) - 1) } },
      visualMap: {
        type: 'piecewise', dimension: 2, orient: 'horizontal', top: 4, left: 'center', textStyle: { fontSize: 16 },
        pieces: states.map(function (s, k) { return { value: k, label: spec.states[s].label, color: spec.states[s].color }; })
      },
      tooltip: {
        formatter: function (p) {
          return esc(xs[p.value[0]].replace('\n', ' · ') + ' · ' + ys[p.value[1]] + ': ' + spec.states[states[p.value[2]]].label);
        }
      },
      series: [{ type: 'heatmap', data: points, progressive: 0 }]
    };
  }
`;
