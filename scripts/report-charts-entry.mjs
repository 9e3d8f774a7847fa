// What the HTML report and the workshop page draw with: ECharts' modular build with only the charts
// and components they use (src/report/html-charts.ts, chart-options-client.ts, workshop/page-client.ts).
// Bundled by scripts/build-charts.mjs into dist/report-charts.js; exposes `echarts` as a global.
import * as echarts from 'echarts/core';
import { LineChart, HeatmapChart } from 'echarts/charts';
import { AxisPointerComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapPiecewiseComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, HeatmapChart, GridComponent, AxisPointerComponent, TooltipComponent, LegendComponent, MarkLineComponent, VisualMapPiecewiseComponent, CanvasRenderer]);
globalThis.echarts = echarts;
