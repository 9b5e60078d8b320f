package recommend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/parcours/parcours/marketplace"
)

// ErrRateLimited is returned when a widget key spent its request budget.
var ErrRateLimited = errors.New("the widget key's request budget is spent")

// Widget checks the keys of the embeddable widget: issued per site with the
// origins allowed to embed it, rate limited, revocable. Safe for
// concurrent use.
type Widget struct {
	store      Store
	now        func() time.Time
	defaultRPM int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewWidget returns the key checker over store; perMinute is the budget of
// keys issued without their own.
func NewWidget(store Store, perMinute int, now func() time.Time) *Widget {
	if now == nil {
		now = time.Now
	}
	if perMinute <= 0 {
		perMinute = 120
	}
	return &Widget{store: store, now: now, defaultRPM: perMinute, buckets: map[string]*rate.Limiter{}}
}

// NewKeyInput is what an administrator gives to issue a key.
type NewKeyInput struct {
	Site      string
	Origins   []string
	PerMinute int
}

// Issue creates a key for a site.
func (w *Widget) Issue(ctx context.Context, in NewKeyInput) (WidgetKey, error) {
	var v marketplace.ValidationError
	site := strings.TrimSpace(in.Site)
	if site == "" || len([]rune(site)) > 200 {
		v.Add("site", "must be 1 to 200 characters")
	}
	if len(in.Origins) == 0 || len(in.Origins) > 20 {
		v.Add("origins", "must list 1 to 20 origins")
	}
	origins := make([]string, 0, len(in.Origins))
	for i, o := range in.Origins {
		norm, err := NormaliseOrigin(o)
		if err != nil {
			v.Add(fieldIndex("origins", i), "%v", err)
			continue
		}
		origins = append(origins, norm)
	}
	if in.PerMinute < 0 || in.PerMinute > 100000 {
		v.Add("per_minute", "must be from 1 to 100000 (0: the default)")
	}
	if err := v.Err(); err != nil {
		return WidgetKey{}, err
	}
	if in.PerMinute == 0 {
		in.PerMinute = w.defaultRPM
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return WidgetKey{}, err
	}
	k := WidgetKey{ID: "wk_" + base64.RawURLEncoding.EncodeToString(b), Site: site, Origins: origins, PerMinute: in.PerMinute, CreatedAt: w.now().UTC().Truncate(time.Millisecond)}
	return k, w.store.CreateWidgetKey(ctx, k)
}

// NormaliseOrigin checks an origin ("https://example.org", with a port
// when not the default) and returns it in canonical form.
func NormaliseOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, " *") {
		return "", fmt.Errorf("%q is not an origin such as https://example.org", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// Authorize checks that key may serve a page of origin ("" when the
// browser did not say: the caller then relies on frame-ancestors) and
// takes one request from its budget. Errors: ErrNotFound for an unknown or
// revoked key, marketplace.ErrForbidden for an origin not allowed,
// ErrRateLimited.
func (w *Widget) Authorize(ctx context.Context, keyID, origin string) (WidgetKey, error) {
	if keyID == "" || len(keyID) > 100 {
		return WidgetKey{}, &marketplace.ValidationError{Fields: []marketplace.FieldError{{Field: "key", Reason: "is required"}}}
	}
	k, err := w.store.WidgetKey(ctx, keyID)
	if err != nil {
		return WidgetKey{}, fmt.Errorf("widget key: %w", err)
	}
	if k.Revoked() {
		return WidgetKey{}, fmt.Errorf("widget key revoked: %w", ErrNotFound)
	}
	if origin != "" {
		norm, err := NormaliseOrigin(origin)
		if err != nil || !k.Allows(norm) {
			return k, fmt.Errorf("origin %q may not use this widget key: %w", origin, marketplace.ErrForbidden)
		}
	}
	w.mu.Lock()
	l := w.buckets[k.ID]
	if l == nil || l.Limit() != rate.Limit(float64(k.PerMinute)/60) {
		l = rate.NewLimiter(rate.Limit(float64(k.PerMinute)/60), max(1, k.PerMinute/4))
		w.buckets[k.ID] = l
	}
	ok := l.AllowN(w.now(), 1)
	w.mu.Unlock()
	if !ok {
		return k, ErrRateLimited
	}
	return k, nil
}

// Revoke revokes a key and returns it.
func (w *Widget) Revoke(ctx context.Context, id string) (WidgetKey, error) {
	if err := w.store.RevokeWidgetKey(ctx, id, w.now().UTC().Truncate(time.Millisecond)); err != nil {
		return WidgetKey{}, err
	}
	return w.store.WidgetKey(ctx, id)
}

// Keys lists every key.
func (w *Widget) Keys(ctx context.Context) ([]WidgetKey, error) { return w.store.WidgetKeys(ctx) }
