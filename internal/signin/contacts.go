package signin

import (
	"context"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/internal/verification"
)

// contacts are a user's verified email addresses and phone numbers, oldest
// first, each list read at most once per step: the factor lists, the Client
// Trust target, the MFA check and the new-device notice all need them.
// A step does not change them, so a list read inside the step's transaction
// stays right for the view built after it.
type contacts struct {
	userID string
	emails lazy[*ent.EmailAddress]
	phones lazy[*ent.PhoneNumber]
	// totp is whether the user has a verified TOTP, when already known.
	totp *bool
	// backupCodes is whether the user has unused backup codes, when
	// already known.
	backupCodes *bool
}

func (k *contacts) verifiedEmails(ctx context.Context, c *ent.Client) ([]*ent.EmailAddress, error) {
	return k.emails.get(func() ([]*ent.EmailAddress, error) {
		return c.EmailAddress.Query().Where(emailaddress.UserID(k.userID), emailaddress.Verified(true)).
			Order(ent.Asc(emailaddress.FieldCreatedAt)).All(ctx)
	})
}

func (k *contacts) verifiedPhones(ctx context.Context, c *ent.Client) ([]*ent.PhoneNumber, error) {
	return k.phones.get(func() ([]*ent.PhoneNumber, error) {
		return c.PhoneNumber.Query().Where(phonenumber.UserID(k.userID), phonenumber.Verified(true)).
			Order(ent.Asc(phonenumber.FieldCreatedAt), ent.Asc(phonenumber.FieldID)).All(ctx)
	})
}

// target finds, among the verified contacts of strategy's kind (email
// addresses for email_code and reset_password_email_code, else phone
// numbers), the first that names accepts, as the code target of strategy;
// ok is false when none does.
func (k *contacts) target(ctx context.Context, c *ent.Client, strategy string, names func(id, value string) bool) (t verification.Target, ok bool, err error) {
	if emailStrategy(strategy) {
		emails, err := k.verifiedEmails(ctx, c)
		for _, e := range emails {
			if names(e.ID, e.EmailAddress) {
				return verification.Target{Strategy: strategy, ID: e.ID, Value: e.EmailAddress}, true, nil
			}
		}
		return t, false, err
	}
	phones, err := k.verifiedPhones(ctx, c)
	for _, p := range phones {
		if names(p.ID, p.PhoneNumber) {
			return verification.Target{Strategy: strategy, ID: p.ID, Value: p.PhoneNumber}, true, nil
		}
	}
	return t, false, err
}

// lazy is a list read at most once.
type lazy[T any] struct {
	items  []T
	loaded bool // an empty list is a read list
}

// get returns the list, reading it with read the first time.
func (l *lazy[T]) get(read func() ([]T, error)) ([]T, error) {
	if !l.loaded {
		items, err := read()
		if err != nil {
			return nil, err
		}
		l.set(items)
	}
	return l.items, nil
}

// set gives the list items that were read elsewhere.
func (l *lazy[T]) set(items []T) { l.items, l.loaded = items, true }

// contactsOf returns the step's contacts of its user (st.user must be set).
func (st *state) contactsOf() *contacts {
	if st.contacts == nil || st.contacts.userID != st.user.ID {
		st.contacts = &contacts{userID: st.user.ID}
	}
	return st.contacts
}
