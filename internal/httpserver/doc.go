// Package httpserver is trustgate's HTTP surface on chi: POST /graphql (JSON
// only, with depth, alias, complexity and body-size limits), the JWKS, health,
// readiness and metrics endpoints, the hosted pages and dashboard (the embedded
// web build), and the middleware that establishes who is calling: the
// application (publishable key), the client (cookie or X-Client-Token), the
// session (JWT) and the admin principal (sk_ key or operator session).
package httpserver
