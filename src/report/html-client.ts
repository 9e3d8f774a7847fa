// The report page's own script (plain browser JavaScript, kept as a string so the page is one
// offline file): reads the chart specs from the JSON block, adds what JSON cannot carry
// (formatters), draws every chart with the inlined ECharts, and wires the series checkboxes.
// Text from the Run reaches the DOM only through textContent or ECharts' canvas, never as HTML.
import { CHART_OPTIONS } from './chart-options-client.js';

export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('rsslab-data').textContent);
  var instances = [];
${CHART_OPTIONS}
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
