package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tincan-dev/tincan/internal/logscan"
)

const (
	testAPIKey = "tk_test_7c1d9e2f4a6b8c0d1e3f5a7b9c1d3e5f"
	testSecret = "a JWT HS256 secret of 32 bytes or more"
)

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Every access setting is checked at start-up: unknown modes, a mode
// missing what it needs, settings of another mode, half a TLS pair.
func TestAccessConfigInvalid(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CREATE_AUTH": "oauth"}, "CREATE_AUTH="},
		{map[string]string{"ACCESS_TOKEN_IN_QUERY": "maybe"}, "ACCESS_TOKEN_IN_QUERY="},
		{map[string]string{"CREATE_AUTH": "apikey"}, "API_KEYS"},
		{map[string]string{"CREATE_AUTH": "apikey", "API_KEYS": "not-a-hash"}, "API_KEYS: entry 1"},
		{map[string]string{"CREATE_AUTH": "apikey", "API_KEYS": hashHex("a") + ",,"}, "API_KEYS: entry 2"},
		{map[string]string{"API_KEYS": hashHex("a")}, "API_KEYS is set but CREATE_AUTH is open"},
		{map[string]string{"JWT_HS256_SECRET": testSecret}, "JWT_HS256_SECRET is set but CREATE_AUTH is open"},
		{map[string]string{"CREATE_AUTH": "apikey", "API_KEYS": hashHex("a"), "JWT_AUDIENCE": "x"}, "JWT_AUDIENCE is set"},
		{map[string]string{"CREATE_AUTH": "jwt"}, "exactly one of"},
		{map[string]string{"CREATE_AUTH": "jwt", "JWT_HS256_SECRET": testSecret, "JWT_JWKS_FILE": "/x"}, "exactly one of"},
		{map[string]string{"CREATE_AUTH": "jwt", "JWT_HS256_SECRET": "short"}, "JWT_HS256_SECRET has 5 bytes"},
		{map[string]string{"TLS_CERT_FILE": "/c.pem"}, "set both or neither"},
		{map[string]string{"TLS_KEY_FILE": "/k.pem"}, "set both or neither"},
	} {
		_, err := loadConfig(env(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one with %q", tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "not-a-hash") {
			t.Errorf("the error quotes API_KEYS: %v", err)
		}
	}
	// Files are read at start-up: a missing or wrong one stops it.
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, e := range []map[string]string{
		{"CREATE_AUTH": "jwt", "JWT_PUBLIC_KEYS": filepath.Join(dir, "missing.pem")},
		{"CREATE_AUTH": "jwt", "JWT_PUBLIC_KEYS": junk},
		{"CREATE_AUTH": "jwt", "JWT_JWKS_FILE": junk},
		{"TLS_CERT_FILE": junk, "TLS_KEY_FILE": junk},
	} {
		e["ADDR"] = "127.0.0.1:0"
		if err := run(t.Context(), []string{"api"}, env(e), io.Discard); err == nil || !strings.Contains(err.Error(), "configuration") {
			t.Errorf("%v: run: %v", e, err)
		}
	}
}

// ACCESS_TOKEN_IN_QUERY=auto refuses ?access_token= once creation needs
// credentials; allow and deny say so whatever the mode.
func TestAccessTokenInQueryPolicy(t *testing.T) {
	for _, tt := range []struct {
		mode, query string
		refuse      bool
	}{
		{"open", "", false}, {"open", "auto", false}, {"open", "allow", false}, {"open", "deny", true},
		{"apikey", "", true}, {"apikey", "auto", true}, {"apikey", "allow", false}, {"apikey", "deny", true},
		{"jwt", "auto", true}, {"jwt", "allow", false},
	} {
		e := map[string]string{"CREATE_AUTH": tt.mode, "ACCESS_TOKEN_IN_QUERY": tt.query}
		switch tt.mode {
		case "apikey":
			e["API_KEYS"] = hashHex(testAPIKey)
		case "jwt":
			e["JWT_HS256_SECRET"] = testSecret
		}
		cfg, err := loadConfig(env(e))
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		if got := cfg.RefuseQueryTokens(); got != tt.refuse {
			t.Errorf("CREATE_AUTH=%s ACCESS_TOKEN_IN_QUERY=%q: refuse %v, want %v", tt.mode, tt.query, got, tt.refuse)
		}
	}
}

func send(t *testing.T, hc *http.Client, method, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	logscan.SecretsInJSON(b)
	return res.StatusCode, string(b)
}

// With the default settings, start-up warns that creation is open; with
// CREATE_AUTH=apikey, creating needs the key, ?access_token= is refused,
// and the log never holds the key.
func TestRunCreateAuth(t *testing.T) {
	t.Run("open", func(t *testing.T) {
		_, logs, _ := startRun(t, "http", map[string]string{}, http.DefaultClient)
		if !strings.Contains(logs.String(), "anyone who can reach this address can create channels") || !strings.Contains(logs.String(), `"level":"WARN"`) {
			t.Errorf("no warning that creation is open:\n%s", logs)
		}
	})
	t.Run("apikey", func(t *testing.T) {
		hc := http.DefaultClient
		base, logs, _ := startRun(t, "http", map[string]string{"CREATE_AUTH": "apikey", "API_KEYS": hashHex("other") + "," + hashHex(testAPIKey)}, hc)
		if status, body := send(t, hc, "POST", base+"/channels", ""); status != http.StatusUnauthorized {
			t.Errorf("no key: %d %s", status, body)
		}
		if status, body := send(t, hc, "POST", base+"/channels", testAPIKey+"x"); status != http.StatusUnauthorized {
			t.Errorf("wrong key: %d %s", status, body)
		}
		status, body := send(t, hc, "POST", base+"/channels", testAPIKey)
		if status != http.StatusCreated {
			t.Fatalf("with the key: %d %s", status, body)
		}
		id, token := field(body, "port2", "id"), field(body, "port2", "token")
		if status, body := send(t, hc, "GET", base+"/ports/"+id+"?access_token="+token, ""); status != http.StatusUnauthorized || !strings.Contains(body, "Authorization header") {
			t.Errorf("access_token with auth on: %d %s", status, body)
		}
		if status, _ := send(t, hc, "GET", base+"/ports/"+id, token); status != http.StatusOK {
			t.Errorf("header token: %d", status)
		}
		if strings.Contains(logs.String(), testAPIKey) || strings.Contains(logs.String(), "anyone who can reach") {
			t.Errorf("log:\n%s", logs)
		}
	})
}

// CREATE_AUTH=jwt reads its keys from files at start-up: a PEM file of
// public keys, or a JWKS; a token signed by the key creates a channel.
func TestRunCreateAuthJWTFiles(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	dir := t.TempDir()
	pemFile, jwksFile := filepath.Join(dir, "keys.pem"), filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	jwks := fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":%q,"y":%q}]}`, b64(raw[1:33]), b64(raw[33:]))
	if err := os.WriteFile(jwksFile, []byte(jwks), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "svc", "aud": "tincan", "exp": time.Now().Add(time.Minute).Unix()})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]map[string]string{
		"pem":  {"JWT_PUBLIC_KEYS": pemFile},
		"jwks": {"JWT_JWKS_FILE": jwksFile},
	} {
		t.Run(name, func(t *testing.T) {
			e["CREATE_AUTH"], e["JWT_AUDIENCE"] = "jwt", "tincan"
			base, _, _ := startRun(t, "http", e, http.DefaultClient)
			if status, body := send(t, http.DefaultClient, "POST", base+"/channels", signed); status != http.StatusCreated {
				t.Errorf("valid token: %d %s", status, body)
			}
			if status, _ := send(t, http.DefaultClient, "POST", base+"/channels", signed[:len(signed)-2]); status != http.StatusUnauthorized {
				t.Errorf("tampered token: %d", status)
			}
		})
	}
}

// field digs a string out of a JSON object by a path of keys, crudely
// but enough for the channel answer's shape.
func field(body string, keys ...string) string {
	rest := body
	for _, k := range keys {
		i := strings.Index(rest, `"`+k+`":`)
		if i < 0 {
			return ""
		}
		rest = rest[i+len(k)+3:]
	}
	rest = strings.TrimPrefix(rest, `"`)
	end := strings.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return rest[:end]
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool trusting the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tincan test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With TLS_CERT_FILE and TLS_KEY_FILE the listener serves HTTPS, TLS 1.2
// at the least: a real request over loopback works, plain HTTP and TLS
// 1.1 do not.
func TestRunTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base, logs, _ := startRun(t, "https", map[string]string{"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile}, hc)
	if !strings.Contains(logs.String(), `"tls":true`) {
		t.Errorf("the log does not say TLS is on:\n%s", logs)
	}

	status, body := send(t, hc, "POST", base+"/channels", "")
	if status != http.StatusCreated {
		t.Fatalf("create over HTTPS: %d %s", status, body)
	}
	res, err := hc.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Errorf("connection state %+v", res.TLS)
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", res.Header.Get("Referrer-Policy"))
	}

	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if res, err := old.Get(base + "/healthz"); err == nil {
		res.Body.Close()
		t.Error("TLS 1.1 was accepted")
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if res, err := plain.Get(strings.Replace(base, "https:", "http:", 1) + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served")
		}
	}
}
