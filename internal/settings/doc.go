// Package settings owns an application's settings: the defaults that depend on
// the application's creation date (Clerk's dated "Updates"), the per-application
// opt-ins and opt-outs of those updates, the values an admin set explicitly,
// and the validation of changes.
//
// The effective settings are computed, never stored whole: base defaults, then
// every update that is on for the application (by its creation date, or by an
// explicit choice), then the admin's explicit values. So an application created
// before an update keeps the old behaviour until an admin opts in.
package settings
