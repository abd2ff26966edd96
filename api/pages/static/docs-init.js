// Starts Swagger UI on /docs (a file, not an inline script, so the page keeps its Content-Security-Policy).
// "Try it out" requests go out with the session cookie and, for changes, the session's CSRF token.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var csrf = root.getAttribute("data-csrf-token");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: function (request) {
      if (csrf) {
        request.headers["X-CSRF-Token"] = csrf;
      }
      return request;
    },
  });
})();
