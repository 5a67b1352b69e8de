(function () {
  const root = document.getElementById("tg-player");
  const steps = JSON.parse(document.getElementById("tg-steps").textContent);
  const slider = document.getElementById("tg-slider");
  const playButton = document.getElementById("tg-play");
  const interval = parseInt(root.dataset.interval, 10) || 1200;  // ms per step when playing
  let k = 0, timer = null;
  slider.max = steps.length - 1;
  function el(id) { return document.getElementById(id); }
  function node(id) { return root.querySelector('.tg-graph g[id="' + id + '"]'); }
  function mark(ids, cls) { ids.forEach(function (id) { const n = node(id); if (n) n.classList.add(cls); }); }
  function show(i) {
    k = Math.max(0, Math.min(steps.length - 1, i));
    const s = steps[k];
    root.querySelectorAll(".tg-current, .tg-output, .tg-receiving, .tg-visited, .tg-flow").forEach(function (n) {
      n.classList.remove("tg-current", "tg-output", "tg-receiving", "tg-visited", "tg-flow");
    });
    const adjoints = {}, visited = [];
    for (let i = 0; i <= k; i++) {
      Object.assign(adjoints, steps[i].changed);
      if (i > 0 && i < k) visited.push(steps[i].current);
    }
    mark(visited, "tg-visited");
    mark([s.current], "tg-current");
    if (s.output) mark([s.output], "tg-output");
    mark(s.receiving, "tg-receiving");
    mark(s.edges, "tg-flow");
    root.dataset.step = String(k);
    root.dataset.current = s.current;
    el("tg-step").textContent = "step " + k + " of " + (steps.length - 1);
    el("tg-title").textContent = s.title;
    el("tg-adjoint").textContent = s.adjoint;
    el("tg-detail").textContent = s.detail;
    document.querySelectorAll("table.tg-adj tr[data-node]").forEach(function (row) {
      const id = row.dataset.node;
      row.querySelector("td.tg-value").textContent = (id in adjoints) ? adjoints[id] : "\u2014";
      row.classList.toggle("tg-changed", s.receiving.indexOf(id) >= 0);
      row.classList.toggle("tg-current-row", id === s.output || id === s.current);
    });
    slider.value = String(k);
    el("tg-prev").disabled = k === 0;
    el("tg-next").disabled = k === steps.length - 1;
    follow(node(s.current));
  }
  // Scroll the graph pane (only it: not the page around a notebook's frame) so that the visited
  // node is in the middle of the pane whenever it is near an edge or out of sight.
  function follow(n) {
    if (!n) return;
    const pane = root.querySelector(".tg-graph");
    const p = pane.getBoundingClientRect(), r = n.getBoundingClientRect(), margin = 24;
    if (r.top < p.top + margin || r.bottom > p.bottom - margin) {
      pane.scrollTop += (r.top + r.bottom) / 2 - (p.top + p.bottom) / 2;
    }
    if (r.left < p.left + margin || r.right > p.right - margin) {
      pane.scrollLeft += (r.left + r.right) / 2 - (p.left + p.right) / 2;
    }
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } playButton.textContent = "\u25b6 play"; }
  el("tg-prev").addEventListener("click", function () { stop(); show(k - 1); });
  el("tg-next").addEventListener("click", function () { stop(); show(k + 1); });
  el("tg-first").addEventListener("click", function () { stop(); show(0); });
  el("tg-last").addEventListener("click", function () { stop(); show(steps.length - 1); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  playButton.addEventListener("click", function () {
    if (timer) { stop(); return; }
    if (k === steps.length - 1) show(0);
    playButton.textContent = "\u275a\u275a pause";
    timer = setInterval(function () { show(k + 1); if (k >= steps.length - 1) stop(); }, interval);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { stop(); show(k + 1); }
    else if (e.key === "ArrowLeft") { stop(); show(k - 1); }
  });
  show(0);
})();
