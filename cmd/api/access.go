package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/tincan-dev/tincan/auth"
	"github.com/tincan-dev/tincan/handlers"
)

// The values of CREATE_AUTH.
const (
	createOpen   = "open"
	createAPIKey = "apikey"
	createJWT    = "jwt"
)

// The values of ACCESS_TOKEN_IN_QUERY.
const (
	queryAuto  = "auto"
	queryAllow = "allow"
	queryDeny  = "deny"
)

// access reads and checks the access settings. A setting that only
// another mode uses is refused rather than ignored: an operator who sets
// API_KEYS but forgets CREATE_AUTH=apikey must not believe creation is
// guarded while it is open. Files are read later, by loadAccess.
func (l *loader) access(cfg *Config) {
	cfg.CreateAuth = l.oneOf("CREATE_AUTH", DefaultCreateAuth, "who may create channels: open, apikey or jwt", createOpen, createAPIKey, createJWT)
	cfg.APIKeys = l.str("API_KEYS", "", "SHA-256 hex hashes, comma-separated, of the API keys (CREATE_AUTH=apikey)")
	cfg.JWTHS256Secret = l.str("JWT_HS256_SECRET", "", "HS256 secret of the JWTs (CREATE_AUTH=jwt)")
	cfg.JWTPublicKeys = l.str("JWT_PUBLIC_KEYS", "", "PEM file of RS256/ES256 public keys (CREATE_AUTH=jwt)")
	cfg.JWTJWKSFile = l.str("JWT_JWKS_FILE", "", "JWKS file of the JWT keys (CREATE_AUTH=jwt)")
	cfg.JWTAudience = l.str("JWT_AUDIENCE", "", "audience a JWT must name, if set")
	cfg.JWTIssuer = l.str("JWT_ISSUER", "", "issuer a JWT must name, if set")
	cfg.AccessTokenInQuery = l.oneOf("ACCESS_TOKEN_IN_QUERY", DefaultAccessTokenInQuery, "whether GET routes take ?access_token=: auto, allow or deny", queryAuto, queryAllow, queryDeny)
	cfg.TLSCertFile = l.str("TLS_CERT_FILE", "", "PEM certificate chain; with TLS_KEY_FILE, serve HTTPS")
	cfg.TLSKeyFile = l.str("TLS_KEY_FILE", "", "PEM private key; with TLS_CERT_FILE, serve HTTPS")

	unused := func(name, value, mode string) {
		if value != "" && cfg.CreateAuth != mode {
			l.errs = append(l.errs, fmt.Errorf("%s is set but CREATE_AUTH is %s; it is used only with CREATE_AUTH=%s", name, cfg.CreateAuth, mode))
		}
	}
	unused("API_KEYS", cfg.APIKeys, createAPIKey)
	for _, v := range []struct{ name, value string }{
		{"JWT_HS256_SECRET", cfg.JWTHS256Secret}, {"JWT_PUBLIC_KEYS", cfg.JWTPublicKeys},
		{"JWT_JWKS_FILE", cfg.JWTJWKSFile}, {"JWT_AUDIENCE", cfg.JWTAudience}, {"JWT_ISSUER", cfg.JWTIssuer},
	} {
		unused(v.name, v.value, createJWT)
	}
	switch cfg.CreateAuth {
	case createAPIKey:
		if _, err := auth.ParseAPIKeys(cfg.APIKeys); err != nil {
			// Never quote the value: it might be a key pasted by mistake.
			l.errs = append(l.errs, fmt.Errorf("API_KEYS: %w", err))
		}
	case createJWT:
		set := 0
		for _, v := range []string{cfg.JWTHS256Secret, cfg.JWTPublicKeys, cfg.JWTJWKSFile} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			l.errs = append(l.errs, fmt.Errorf("CREATE_AUTH=jwt needs exactly one of JWT_HS256_SECRET, JWT_PUBLIC_KEYS and JWT_JWKS_FILE; %d are set", set))
		}
		if cfg.JWTHS256Secret != "" && len(cfg.JWTHS256Secret) < auth.MinHS256Secret {
			l.errs = append(l.errs, fmt.Errorf("JWT_HS256_SECRET has %d bytes; want at least %d", len(cfg.JWTHS256Secret), auth.MinHS256Secret))
		}
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		l.errs = append(l.errs, fmt.Errorf("TLS_CERT_FILE and TLS_KEY_FILE go together: set both or neither"))
	}
}

// RefuseQueryTokens reports whether ?access_token= is refused:
// ACCESS_TOKEN_IN_QUERY=deny, or auto once creation needs credentials (a
// deployment that guards creation should not leak port tokens into URLs).
func (c Config) RefuseQueryTokens() bool {
	switch c.AccessTokenInQuery {
	case queryDeny:
		return true
	case queryAllow:
		return false
	}
	return c.CreateAuth != createOpen
}

// access is what the access settings make at start-up.
type access struct {
	createAuth handlers.Authenticator // nil: open
	tls        *tls.Config            // nil: plain HTTP
}

// loadAccess builds the creation authenticator and the TLS configuration,
// reading the key and certificate files, and logs a warning when channel
// creation is open to anyone.
func loadAccess(cfg Config, logger *slog.Logger) (access, error) {
	var a access
	opts := auth.JWTOptions{Audience: cfg.JWTAudience, Issuer: cfg.JWTIssuer}
	var err error
	switch {
	case cfg.CreateAuth == createAPIKey:
		a.createAuth, err = auth.ParseAPIKeys(cfg.APIKeys)
		err = wrapIf(err, "API_KEYS")
	case cfg.CreateAuth == createJWT && cfg.JWTHS256Secret != "":
		a.createAuth, err = auth.NewHS256([]byte(cfg.JWTHS256Secret), opts)
		err = wrapIf(err, "JWT_HS256_SECRET")
	case cfg.CreateAuth == createJWT && cfg.JWTPublicKeys != "":
		a.createAuth, err = fromFile(cfg.JWTPublicKeys, opts, auth.NewPEM)
		err = wrapIf(err, "JWT_PUBLIC_KEYS")
	case cfg.CreateAuth == createJWT:
		a.createAuth, err = fromFile(cfg.JWTJWKSFile, opts, auth.NewJWKS)
		err = wrapIf(err, "JWT_JWKS_FILE")
	default:
		logger.Warn("channel creation is open: anyone who can reach this address can create channels; set CREATE_AUTH=apikey or CREATE_AUTH=jwt to require credentials")
	}
	if err != nil {
		return access{}, err
	}
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return access{}, fmt.Errorf("TLS_CERT_FILE, TLS_KEY_FILE: %w", err)
		}
		a.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	logger.Info("access", "create_auth", cfg.CreateAuth, "access_token_in_query", !cfg.RefuseQueryTokens(), "tls", a.tls != nil)
	return a, nil
}

// fromFile builds a JWT verifier from the file at path.
func fromFile(path string, opts auth.JWTOptions, build func([]byte, auth.JWTOptions) (*auth.JWT, error)) (handlers.Authenticator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := build(data, opts)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func wrapIf(err error, name string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}

// serve serves srv on ln, over TLS when srv.TLSConfig is set (its
// certificates are already loaded, so ServeTLS is given no files).
func serve(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig == nil {
		return srv.Serve(ln)
	}
	return srv.ServeTLS(ln, "", "")
}
