// The report page's own script (plain browser JavaScript, kept as a string so the page is one
// offline file): reads the chart specs from the JSON block, adds what JSON cannot carry
// (formatters), draws every chart with the inlined ECharts, and wires the series checkboxes.
// Text from the Run reaches the DOM only through textContent or ECharts' canvas, never as HTML.
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('rsslab-data').textContent);
  var instances = [];
  function mib(v) { return v == null || isNaN(v) ? '—' : Number(v).toFixed(1) + ' MiB'; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function checkedKinds(id) {
    var boxes = document.querySelectorAll('input[data-chart="' + id + '"]');
    var on = {};
    for (var i = 0; i < boxes.length; i++) on[boxes[i].getAttribute('data-kind')] = boxes[i].checked;
    return on;
  }
  function linesSeries(spec) {
    var on = checkedKinds(spec.id);
    return spec.series.filter(function (s) { return on[s.kind] !== false && (on[s.kind] || s.kind === 'rss'); }).map(function (s) { return s.option; });
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
    var xs = g.snapshots.map(function (s) { return (s.tMs / 1000).toFixed(1) + ' s'; });
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
      grid: { left: 90, right: 30, top: 70, bottom: 50, show: true, backgroundColor: '#ececec', borderWidth: 0 },
      xAxis: { type: 'category', data: xs, name: 'time', nameLocation: 'middle', nameGap: 30, axisLabel: { fontSize: 13, interval: Math.max(0, Math.ceil(xs.length / 10) - 1) } },
      yAxis: { type: 'category', data: ys, name: 'offset in region', axisLabel: { fontSize: 13, interval: Math.max(0, Math.ceil(cells / 8) - 1) } },
      visualMap: {
        type: 'piecewise', dimension: 2, orient: 'horizontal', top: 4, left: 'center', textStyle: { fontSize: 14 },
        pieces: states.map(function (s, k) { return { value: k, label: spec.states[s].label, color: spec.states[s].color }; })
      },
      tooltip: {
        formatter: function (p) {
          var snap = g.snapshots[p.value[0]];
          return esc(xs[p.value[0]] + ' (' + snap.phase + ') · ' + ys[p.value[1]] + ': ' + spec.states[states[p.value[2]]].label);
        }
      },
      series: [{ type: 'heatmap', data: points, progressive: 0 }]
    };
  }
  function draw(spec) {
    var el = document.getElementById(spec.id);
    if (!el) return;
    try {
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      instances.push(chart);
      if (spec.kind === 'lines') {
        var option = memoryAxes(spec.option);
        option.series = linesSeries(spec);
        chart.setOption(option);
        var boxes = document.querySelectorAll('input[data-chart="' + spec.id + '"]');
        for (var i = 0; i < boxes.length; i++) {
          boxes[i].addEventListener('change', function () { chart.setOption({ series: linesSeries(spec) }, { replaceMerge: ['series'] }); });
        }
      } else if (spec.kind === 'layers') {
        chart.setOption(memoryAxes(spec.option));
      } else if (spec.kind === 'pagemap') {
        chart.setOption(pageMapOption(spec));
      }
    } catch (e) {
      el.textContent = 'This chart could not be drawn: ' + (e && e.message ? e.message : String(e));
      console.error(e);
    }
  }
  data.charts.forEach(draw);
  window.addEventListener('resize', function () { instances.forEach(function (c) { c.resize(); }); });
})();
`;
