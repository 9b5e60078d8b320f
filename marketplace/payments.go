package marketplace

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PaymentRequest asks the learner to pay what the account and top-ups do
// not cover.
type PaymentRequest struct {
	PaymentID string // chosen by the service, echoed by the provider's webhook
	DossierID string
	Cents     int64
}

// PaymentProvider takes external payments (card) from learners. Its
// confirmations arrive as signed webhooks (VerifyWebhook), except for a
// provider that confirms at once.
type PaymentProvider interface {
	// Name identifies the provider in webhook addresses and ledger accounts.
	Name() string
	// StartPayment opens a payment; confirmed is true when the money is
	// already received (the demo provider).
	StartPayment(ctx context.Context, r PaymentRequest) (confirmed bool, err error)
	// Refund gives back an external payment after a cancellation released it.
	Refund(ctx context.Context, paymentID string, cents int64) error
}

// InstantPayments is an optional capability of a PaymentProvider whose
// payments are confirmed as soon as they start (the demo provider): the
// acceptance then records the payment in its own operation.
type InstantPayments interface {
	Instant() bool
}

// DemoPayments is the demo mode's payment provider: every payment is
// confirmed at once and refunds do nothing. It is safe for concurrent use.
type DemoPayments struct{}

// Instant implements InstantPayments.
func (DemoPayments) Instant() bool { return true }

// Name implements PaymentProvider.
func (DemoPayments) Name() string { return "demo" }

// StartPayment implements PaymentProvider.
func (DemoPayments) StartPayment(context.Context, PaymentRequest) (bool, error) { return true, nil }

// Refund implements PaymentProvider.
func (DemoPayments) Refund(context.Context, string, int64) error { return nil }

// WebhookPayments is a payment provider whose confirmations only come by
// webhook. StartPayment records nothing: a real integration would create
// the payment at the provider here.
type WebhookPayments struct{ ProviderName string }

// Name implements PaymentProvider.
func (w WebhookPayments) Name() string { return w.ProviderName }

// StartPayment implements PaymentProvider.
func (WebhookPayments) StartPayment(context.Context, PaymentRequest) (bool, error) { return false, nil }

// Refund implements PaymentProvider.
func (WebhookPayments) Refund(context.Context, string, int64) error { return nil }

// ErrBadSignature is returned for a webhook whose signature is missing,
// wrong or too old.
var ErrBadSignature = errors.New("bad webhook signature")

// SignWebhook returns the signature header value of a webhook body sent at
// t: "t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">".
func SignWebhook(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + webhookMAC(secret, ts, body)
}

func webhookMAC(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks a signature header made by SignWebhook: the MAC must
// match and the timestamp be within tolerance of now, so that a captured
// webhook cannot be replayed later (replays within the tolerance are
// stopped by the event's idempotency key).
func VerifyWebhook(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("%w: want t=<unix time>,v1=<hex MAC>", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance of %s", ErrBadSignature, tolerance)
	}
	if !hmac.Equal([]byte(sig), []byte(webhookMAC(secret, ts, body))) {
		return fmt.Errorf("%w: the MAC does not match", ErrBadSignature)
	}
	return nil
}
