// Package signin is the sign-in state machine: Clerk's statuses, factors and
// verifications, Client Trust and MFA, lockout and the sign-in history.
//
// The rules of CONTRACT.md §3 live here and nowhere else:
//   - a valid password from a (user, client) pair that is not trusted, for a user
//     without MFA, in an application with Client Trust on, stops at
//     needs_client_trust until a code sent to the primary verified email (or
//     phone, when email is disabled for the application) is entered;
//   - a user with MFA gets needs_second_factor with their own factors instead;
//   - passwordless first factors never trigger Client Trust;
//   - completing a sign-in trusts the (user, client) pair;
//   - every failed password, code, TOTP or backup code counts toward lockout;
//     with enumeration protection on, so do the failures of an identifier
//     that names no account, on a counter of its own (lockout.FailIdentifier).
//
// Password hashing runs outside database transactions (it is the slow part);
// each step's state change and its sign-in events commit in one transaction,
// and a failed attempt commits its counters before the error is returned.
package signin
