package profiles_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/profiles/verify"
)

// BenchmarkAttest measures one attestation end to end on the embedded
// store: validation, the employer check against the declarations, the
// status bit, the Ed25519 signature over the JCS form, the log append, and
// the writes of the credential and the line (each bbolt commit synced).
func BenchmarkAttest(b *testing.B) {
	e := newEnv(b)
	if _, err := e.svc.RegisterIssuer(e.ctx, profiles.Registration{SIRET: employer, Kind: profiles.EmployerIssuer, Name: "Boulangerie Martin", Custody: profiles.PlatformKey}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		a := employment(nirAlice)
		a.Entry.Title = fmt.Sprintf("Poste %d", i)
		a.Entry.Skills = nil
		if _, _, err := e.svc.Attest(e.ctx, employer, a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "attestations/s")
}

// BenchmarkBundle measures building a credential's verification bundle
// (DID documents, status list signed afresh, inclusion proof) and
// verifying it against the instance's own documents, with 1,000
// credentials in the log.
func BenchmarkBundle(b *testing.B) {
	e := newEnv(b)
	if _, err := e.svc.RegisterIssuer(e.ctx, profiles.Registration{SIRET: employer, Kind: profiles.EmployerIssuer, Name: "Boulangerie Martin", Custody: profiles.PlatformKey}); err != nil {
		b.Fatal(err)
	}
	var cred profiles.Credential
	for i := range 1000 {
		a := employment(nirAlice)
		a.Entry.Title, a.Entry.Skills = fmt.Sprintf("Poste %d", i), nil
		_, c, err := e.svc.Attest(e.ctx, employer, a)
		if err != nil {
			b.Fatal(err)
		}
		if i == 500 {
			cred = c
		}
	}
	if _, _, err := e.svc.Notary().Publish(e.ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("build", func(b *testing.B) {
		for range b.N {
			if _, err := e.svc.Bundle(e.ctx, cred); err != nil {
				b.Fatal(err)
			}
		}
	})
	data, _ := e.svc.Bundle(e.ctx, cred)
	b.Run("verify", func(b *testing.B) {
		*e.clock = time.Now()
		for range b.N {
			bu, err := verify.ParseBundle(data)
			if err != nil {
				b.Fatal(err)
			}
			if r, err := e.svc.Notary().VerifyBundle(e.ctx, bu); err != nil || !r.OK {
				b.Fatalf("%+v", r.Failed())
			}
		}
	})
}

// BenchmarkAttestBulk measures a bulk file of 500 employment periods: the
// lines are checked one by one, then issued together (one status
// allocation, one log append, one store write).
func BenchmarkAttestBulk(b *testing.B) {
	e := newEnv(b)
	if _, err := e.svc.RegisterIssuer(e.ctx, profiles.Registration{SIRET: employer, Kind: profiles.EmployerIssuer, Name: "Boulangerie Martin", Custody: profiles.PlatformKey}); err != nil {
		b.Fatal(err)
	}
	const lines = 500
	b.ResetTimer()
	for i := range b.N {
		var sb strings.Builder
		sb.WriteString("nir;job_title;start_date;end_date\n")
		for l := range lines {
			fmt.Fprintf(&sb, "%s;Poste %d-%d;2024-01-02;2024-06-30\n", nirAlice, i, l)
		}
		rep, err := e.svc.AttestBulk(e.ctx, employer, strings.NewReader(sb.String()))
		if err != nil || rep.Issued != lines {
			b.Fatalf("%v %+v", err, rep.Lines[:1])
		}
	}
	b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkPlatformSigning measures what the platform's stored, rotatable
// key costs each signature: reading the key record, building its DID
// document, choosing the key in service and opening its sealed seed,
// before the status list is signed. "seed" is a store where the key was
// never rotated (the configured key, nothing stored), "rotated-3" one
// after three rotations.
func BenchmarkPlatformSigning(b *testing.B) {
	for _, rotations := range []int{0, 3} {
		name := "seed"
		if rotations > 0 {
			name = fmt.Sprintf("rotated-%d", rotations)
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b)
			for range rotations {
				if _, err := e.svc.RotatePlatformKey(e.ctx); err != nil {
					b.Fatal(err)
				}
				*e.clock = e.clock.Add(time.Hour)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := e.svc.Notary().StatusListCredential(e.ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lists/s")
		})
	}
}
