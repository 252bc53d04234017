// Package api holds tincan's HTTP API description, api/openapi.yaml, and
// embeds it so that the server can answer it at GET /openapi.yaml and tests
// can check the router and real answers against it.
package api

import _ "embed"

// Spec is the OpenAPI 3.0.3 document describing tincan's HTTP API, exactly
// as in api/openapi.yaml. Treat it as read-only: it is shared by every
// caller.
//
//go:embed openapi.yaml
var Spec []byte
