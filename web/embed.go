// Package web holds the browser code of trustgate: the TypeScript SDK (sdk/, published to apps as
// @trustgate/js and @trustgate/react), the hosted sign-in, sign-up and account pages and, later, the admin
// dashboard (src/). `npm run build` writes the single-page app to dist/, which this package embeds so that the
// server binary carries it.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the built single-page app (index.html and assets/), empty until `npm run build` has run.
func Assets() fs.FS {
	sub, _ := fs.Sub(dist, "dist")
	return sub
}
