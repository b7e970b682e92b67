package httpserver

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// securityHeaders are set on every page and asset. Outside dev mode they
// include HSTS: the __client cookie is Secure there, so the pages are
// served over HTTPS (by trustgate's proxy), and a browser that has seen
// them once goes on asking for them over HTTPS, so that a typed http://
// address to the sign-in or the dashboard cannot be downgraded. Browsers
// ignore the header on plain HTTP. Not includeSubDomains: the applications
// on sibling subdomains are their own.
func (s *Server) securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if !s.cfg.Dev {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// page serves the single-page app's index.html for its routes.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		http.Redirect(w, r, "/sign-in", http.StatusFound)
		return
	}
	s.securityHeaders(w.Header())
	index, err := fs.ReadFile(s.assets, "index.html")
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("The web app is not built into this binary. Run `make build` (npm ci && npm run build in web/, then go build).\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(index)
}

// asset serves the hashed build assets.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if _, err := fs.Stat(s.assets, name); err != nil {
		http.NotFound(w, r)
		return
	}
	s.securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeFileFS(w, r, s.assets, name)
}
