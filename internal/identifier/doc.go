// Package identifier normalises and masks the identifiers users sign in
// with: email addresses, phone numbers and usernames.
//
// Normalised forms are what trustgate stores and looks up, so two spellings
// of one identifier ("Nikos@Clerk.com " and "nikos@clerk.com") always reach
// the same account. Every normaliser is idempotent: normalising its own
// output returns it unchanged. Errors never quote the input, which is
// personal data.
//
// # Choices
//
//   - Email addresses are lowercased whole, local part included. RFC 5321
//     lets a server treat the local part as case-sensitive, but no major
//     provider does, and case-distinct duplicates would let one person hold
//     two accounts or be locked out by a capital letter. Only plain ASCII
//     addresses (dot-atom local part, host name domain) are accepted: no
//     display names, quoted local parts, comments, IP literals or
//     internationalised (SMTPUTF8) addresses, whose delivery and case rules
//     are unreliable.
//   - Phone numbers must be written in international form with a leading
//     "+" and are stored as E.164 ("+15551234567"). There is no default
//     region: guessing one turns a typo into someone else's number.
//   - Usernames are 3 to 64 characters of a-z, 0-9, "_", "." and "-",
//     lowercased. They cannot contain "@" or "+", so the three kinds never
//     overlap and Classify can tell them apart by shape.
//   - Masks keep only enough to recognise an identifier: the first
//     character of an email's local part (and its domain), the last two
//     digits of a phone number, the first character of a username. Each
//     hidden character becomes one "*".
package identifier
