// Package audit writes the two append-only histories: sign-in events (every
// step of every sign-in, written in the step's own transaction) and admin audit
// events (every admin mutation and every denial).
package audit
