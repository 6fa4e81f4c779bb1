// The dashboard's charts, drawn with ECharts from the JSON the page carries in
// #analytics-charts[data-charts]. The tables under each chart hold the same figures; they are
// folded away once the chart is drawn. No inline code or style: the CSP forbids both.
"use strict";
(() => {
  const holder = document.getElementById("analytics-charts");
  if (!holder || !window.echarts) return;
  const specs = JSON.parse(holder.dataset.charts || "{}");
  const empty = holder.dataset.empty || "";
  const narrow = () => window.matchMedia("(max-width: 576px)").matches;
  const drawn = [];

  const hasData = (spec) => (spec.series || []).some((s) => (s.data || []).some(
    (v) => (v && typeof v === "object" ? v.value : v)));

  const option = (spec) => {
    const unit = spec.unit || "";
    const base = {
      // Rich text: HTML tooltips carry style attributes, which the CSP refuses.
      tooltip: { trigger: spec.type === "pie" ? "item" : "axis", renderMode: "richText",
                 valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}${unit}`) },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      animation: false,
    };
    if (spec.type === "pie") {
      return { ...base, series: spec.series.map((s) => ({
        ...s, type: "pie", radius: narrow() ? ["30%", "60%"] : ["35%", "70%"], top: 30,
        label: { show: !narrow() } })) };
    }
    const horizontal = spec.type === "hbar";
    const categories = { type: "category", data: spec.categories,
                         axisLabel: { width: narrow() ? 80 : 160, overflow: "truncate" } };
    const values = { type: "value", axisLabel: { formatter: `{value}${unit}` } };
    return {
      ...base,
      xAxis: horizontal ? values : categories,
      yAxis: horizontal ? { ...categories, inverse: true } : values,
      dataZoom: spec.categories.length > 40 && !horizontal ? [{ type: "inside" }] : [],
      series: spec.series.map((s) => ({ ...s, type: "bar", barMaxWidth: 28 })),
    };
  };

  for (const node of document.querySelectorAll("[data-chart]")) {
    const spec = specs[node.dataset.chart];
    if (!spec) continue;
    if (!hasData(spec)) {
      node.textContent = empty;
      node.classList.add("text-muted", "small");
      continue;
    }
    const bars = spec.type === "hbar" ? spec.categories.length : 0;
    // Set through the CSSOM, which the CSP allows (a style attribute it would not).
    node.style.height = `${Math.max(260, Math.min(720, 60 + bars * 28))}px`;
    const chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    drawn.push(chart);
    const table = document.querySelector(`details[data-chart-table="${node.dataset.chart}"]`);
    if (table) table.open = false;
  }
  let pending = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => drawn.forEach((c) => c.resize()), 150);
  });
})();
