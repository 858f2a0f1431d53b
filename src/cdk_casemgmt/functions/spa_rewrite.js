// CloudFront Function (cloudfront-js-2.0), viewer request, attached by CdnFrontend to the
// S3 (default) behavior only. Serves the single-page app's index.html for client-side routes
// ("deep links") while leaving files and the API alone:
//   /cases/42          -> /index.html    (no extension in the last path segment)
//   /assets/app.1a2b.js -> unchanged     (has an extension: a real file, or S3's 403 if missing)
//   /api/...           -> unchanged     (defence in depth; /api/* has its own behavior)
// Unlike distribution-wide error responses, an API 404 stays a 404 and the rewritten response
// still carries the response headers policy.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/api' || uri.startsWith('/api/')) {
    return request;
  }
  var lastSegment = uri.substring(uri.lastIndexOf('/') + 1);
  if (lastSegment.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
