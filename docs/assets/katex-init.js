// Typeset the maths of the guides (\( \), \[ \] from pymdownx.arithmatex) and of the notebooks
// ($ $, $$ $$ as Jupyter writes them) with the KaTeX copy shipped in docs/assets: nothing is
// fetched from the web, so the site works offline.
function tgRenderMath() {
  if (typeof renderMathInElement !== "function") return;
  renderMathInElement(document.body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
    ],
    ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "iframe"],
    throwOnError: false,
  });
}
if (typeof document$ !== "undefined") {
  document$.subscribe(tgRenderMath);  // Material's instant navigation
} else {
  document.addEventListener("DOMContentLoaded", tgRenderMath);
}
