// Renders /openapi.yaml with the vendored Redoc (web/vendor.sh), with its
// telemetry off: this page talks to nobody but tincan.
import { init } from '/vendor/redoc/redoc.standalone.js';

const root = document.getElementById('reference');
root.replaceChildren();
init('/openapi.yaml', { disableTelemetry: true, hideDownloadButtons: false }, root);
