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
  // on a phase-aligned axis x is a position, not a time: the tooltip names the phase and each point's own time
  function phaseTooltip(option, phases) {
    option.tooltip.axisPointer = { type: 'line', label: { show: false } };
    option.tooltip.formatter = function (params) {
      var list = [].concat(params);
      if (!list.length) return '';
      var x = list[0].value[0];
      var seg = phases.filter(function (s) { return x >= s.x0 && x <= s.x1; })[0];
      var lines = [esc(seg ? seg.phase : '')];
      list.forEach(function (p) {
        lines.push(p.marker + esc(p.seriesName) + ': ' + mib(p.value[1]) + (p.value.length > 2 ? ' at ' + Number(p.value[2]).toFixed(2) + ' s' : ''));
      });
      return lines.join('<br>');
    };
    return option;
  }
  // on a phone a wrapped legend runs into the plot: one scrolling row instead
  function narrowLegend(el, option) {
    if (el.clientWidth >= 700 || !option.legend) return;
    option.legend.type = 'scroll';
    option.grid = option.grid || {};
    option.grid.top = 64;
  }
  function done(el) { el.setAttribute('data-drawn', 'true'); }
  function draw(spec) {
    var el = document.getElementById(spec.id);
    if (!el) return;
    try {
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      instances.push(chart);
      // a print or a screenshot can tell when every chart is complete (ECharts' "finished": all drawn, no frame pending)
      chart.on('finished', function () { done(el); });
      if (spec.kind === 'lines') {
        var option = memoryAxes(spec.option);
        if (spec.phases) phaseTooltip(option, spec.phases);
        narrowLegend(el, option);
        option.series = linesSeries(spec);
        chart.setOption(option);
        var boxes = document.querySelectorAll('input[data-chart="' + spec.id + '"]');
        for (var i = 0; i < boxes.length; i++) {
          boxes[i].addEventListener('change', function () { chart.setOption({ series: linesSeries(spec) }, { replaceMerge: ['series'] }); });
        }
      } else if (spec.kind === 'layers') {
        var layers = memoryAxes(spec.option);
        narrowLegend(el, layers);
        chart.setOption(spec.phases ? phaseTooltip(layers, spec.phases) : layers);
      } else if (spec.kind === 'pagemap') {
        spec.widthPx = el.clientWidth;
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
