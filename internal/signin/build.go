package signin

import (
	"context"
	"time"

	"github.com/trustgate/trustgate/ent"
	entsignin "github.com/trustgate/trustgate/ent/signin"
)

// view builds what the frontend sees of st's sign-in.
func (s *Service) view(ctx context.Context, st *state) (*SignIn, error) {
	si := st.si
	out := &SignIn{
		ID:                     si.ID,
		Status:                 Status(si.Status),
		Identifier:             si.Identifier,
		SupportedFirstFactors:  []*Factor{},
		SupportedSecondFactors: []*Factor{},
	}
	if si.Status == entsignin.StatusAbandoned {
		out.Status = StatusNeedsIdentifier
	}
	if si.ClientTrustState != nil {
		ts := TrustState(*si.ClientTrustState)
		out.ClientTrustState = &ts
	}
	if si.CreatedSessionID != nil && si.Status == entsignin.StatusComplete {
		out.CreatedSessionID = si.CreatedSessionID
	}
	var err error
	if si.Identifier != nil {
		if out.SupportedFirstFactors, err = s.firstFactors(ctx, st); err != nil {
			return nil, err
		}
	}
	if si.FirstFactorVerificationID != nil {
		if out.FirstFactorVerification, err = s.verificationView(ctx, st, *si.FirstFactorVerificationID); err != nil {
			return nil, err
		}
		// Second factors are listed only once the first factor is verified.
		if out.FirstFactorVerification != nil && out.FirstFactorVerification.Status == VerificationVerified {
			f, err := s.secondFactors(ctx, st)
			if err != nil {
				return nil, err
			}
			if f != nil {
				out.SupportedSecondFactors = f
			}
		}
	}
	if si.SecondFactorVerificationID != nil {
		if out.SecondFactorVerification, err = s.verificationView(ctx, st, *si.SecondFactorVerificationID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) verificationView(ctx context.Context, st *state, id string) (*Verification, error) {
	v, err := st.verification(ctx, s.DB.Ent, id)
	if err != nil || v == nil {
		return nil, err
	}
	return VerificationOf(v, s.Now()), nil
}

// VerificationOf is the wire view of a verification row at now; an unverified
// verification past its expiry reads as expired.
func VerificationOf(v *ent.Verification, now time.Time) *Verification {
	strategy := v.Strategy
	out := &Verification{Status: VerificationStatus(v.Status), Strategy: &strategy, Attempts: v.Attempts, ExpireAt: v.ExpireAt}
	if out.Status == VerificationUnverified && v.ExpireAt != nil && !now.Before(*v.ExpireAt) {
		out.Status = VerificationExpired
	}
	return out
}
