package signin

import (
	"io"
	"time"

	"github.com/trustgate/trustgate/internal/gqlenum"
)

// Status is a sign-in status (Clerk's wire strings).
type Status string

// The statuses a frontend sees.
const (
	StatusNeedsIdentifier   Status = "needs_identifier"
	StatusNeedsFirstFactor  Status = "needs_first_factor"
	StatusNeedsSecondFactor Status = "needs_second_factor"
	StatusNeedsClientTrust  Status = "needs_client_trust"
	StatusNeedsNewPassword  Status = "needs_new_password"
	StatusComplete          Status = "complete"
)

// TrustState is the client trust state of a sign-in.
type TrustState string

// The trust states: new (challenge required), pending (code sent), known (trusted client).
const (
	TrustNew     TrustState = "new"
	TrustKnown   TrustState = "known"
	TrustPending TrustState = "pending"
)

// VerificationStatus is the status of a factor verification.
type VerificationStatus string

// The verification statuses.
const (
	VerificationUnverified VerificationStatus = "unverified"
	VerificationVerified   VerificationStatus = "verified"
	VerificationFailed     VerificationStatus = "failed"
	VerificationExpired    VerificationStatus = "expired"
)

// Factor is one way to verify a sign-in step.
type Factor struct {
	Strategy       string
	SafeIdentifier *string
	EmailAddressID *string
	PhoneNumberID  *string
	Primary        *bool

	// typed: the factor stands for the address the sign-in's identifier
	// names, under the id an unknown identifier would list
	// (firstFactors); factorTarget finds the address by its value.
	typed bool
}

// Verification is the state of a factor verification.
type Verification struct {
	Status   VerificationStatus
	Strategy *string
	Attempts int
	ExpireAt *time.Time
}

// SignIn is what a frontend sees of a sign-in.
type SignIn struct {
	ID                       string
	Status                   Status
	Identifier               *string
	ClientTrustState         *TrustState
	SupportedFirstFactors    []*Factor
	SupportedSecondFactors   []*Factor
	FirstFactorVerification  *Verification
	SecondFactorVerification *Verification
	CreatedSessionID         *string
}

// MarshalGQL writes the status as a GraphQL enum value.
func (s Status) MarshalGQL(w io.Writer) { gqlenum.Marshal(w, string(s)) }

// UnmarshalGQL reads a status.
func (s *Status) UnmarshalGQL(v any) error { return gqlenum.Unmarshal((*string)(s), v, "SignInStatus") }

// MarshalGQL writes the trust state as a GraphQL enum value.
func (t TrustState) MarshalGQL(w io.Writer) { gqlenum.Marshal(w, string(t)) }

// UnmarshalGQL reads a trust state.
func (t *TrustState) UnmarshalGQL(v any) error {
	return gqlenum.Unmarshal((*string)(t), v, "ClientTrustState")
}

// MarshalGQL writes the verification status as a GraphQL enum value.
func (s VerificationStatus) MarshalGQL(w io.Writer) { gqlenum.Marshal(w, string(s)) }

// UnmarshalGQL reads a verification status.
func (s *VerificationStatus) UnmarshalGQL(v any) error {
	return gqlenum.Unmarshal((*string)(s), v, "VerificationStatus")
}
