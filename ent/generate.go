// Package ent is the generated data layer of trustgate. The hand-written
// schemas live in ent/schema; run `go generate ./...` after changing them.
package ent

//go:generate go run -mod=mod entc.go
