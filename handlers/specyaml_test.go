package handlers

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// The served spec (GET /openapi.yaml) is the one YAML answer, and the
// tests ask for it often: the access matrix alone 69 times. Checking each
// answer against the spec decoded the whole document again, most of the
// matrix's time under the race detector. The check now decodes each
// distinct YAML body once and validates a copy of it, so every answer is
// still checked, as before.
func init() {
	for _, mediaType := range []string{"application/yaml", "application/x-yaml"} {
		openapi3filter.RegisterBodyDecoder(mediaType, decodedYAML.decode)
	}
}

// decodedYAML keeps YAML bodies decoded, by their SHA-256.
var decodedYAML = yamlCache{values: map[[sha256.Size]byte]any{}}

type yamlCache struct {
	mu     sync.Mutex
	values map[[sha256.Size]byte]any
}

// decode is openapi3filter.YamlBodyDecoder, once per distinct body; it
// returns a copy, so that nothing the validator does to the value reaches
// the next check.
func (c *yamlCache) decode(body io.Reader, header http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	c.mu.Lock()
	v, ok := c.values[sum]
	c.mu.Unlock()
	if !ok {
		if v, err = openapi3filter.YamlBodyDecoder(bytes.NewReader(b), header, schema, enc); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.values[sum] = v
		c.mu.Unlock()
	}
	return copyValue(v), nil
}

// copyValue copies a decoded document: its maps and slices anew, its
// scalars as they are.
func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = copyValue(e)
		}
		return m
	case map[any]any:
		m := make(map[any]any, len(v))
		for k, e := range v {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = copyValue(e)
		}
		return s
	default:
		return v
	}
}
