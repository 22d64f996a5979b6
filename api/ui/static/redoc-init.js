// ReDoc, started from a file of the app's own: the page has no inline script.
"use strict";
(function () {
  var node = document.getElementById("redoc");
  Redoc.init(node.dataset.openapi, { hideDownloadButton: false }, node);
})();
