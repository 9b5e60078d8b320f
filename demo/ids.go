package demo

import (
	"encoding/hex"

	"github.com/parcours/parcours/marketplace"
)

// uuid returns a version-7 UUID whose timestamp is ms (Unix milliseconds)
// and whose other bits come from the generator, in the canonical lower-case
// form. UUIDs with increasing timestamps sort as increasing strings, as
// marketplace.NewID's do.
func (g *generator) uuid(ms int64) string {
	var u [16]byte
	t := uint64(ms) & (1<<48 - 1)
	for i := range 6 {
		u[i] = byte(t >> (40 - 8*i))
	}
	a, b := g.r.Uint64(), g.r.Uint64()
	u[6] = 0x70 | byte(a>>8)&0x0f // version 7
	u[7] = byte(a)
	u[8] = 0x80 | byte(b>>56)&0x3f // RFC 9562 variant
	for i := 9; i < 16; i++ {
		u[i] = byte(b >> (8 * (15 - i)))
	}
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// siret returns a new SIRET: a SIREN (8 digits and a Luhn key) that no
// other provider of the set has, followed by a NIC (establishment number,
// 4 digits and a key making the whole SIRET pass Luhn). SIRENs start with
// 3 to 9, as those of companies and associations do.
func (g *generator) siret() string {
	var b [14]byte
	for {
		b[0] = '3' + byte(g.r.IntN(7))
		for i := 1; i < 8; i++ {
			b[i] = '0' + byte(g.r.IntN(10))
		}
		b[8] = marketplace.LuhnDigit(string(b[:8]))
		siren := string(b[:9])
		// La Poste's SIREN follows another rule; keep clear of it.
		if siren == "356000000" || g.sirens[siren] {
			continue
		}
		g.sirens[siren] = true
		break
	}
	// Head offices are most often the first establishment: NIC 0001x.
	b[9], b[10], b[11] = '0', '0', '0'
	b[12] = '1' + byte(g.r.IntN(3))
	b[13] = marketplace.LuhnDigit(string(b[:13]))
	return string(b[:])
}

// nda returns a numéro de déclaration d'activité in the shape the regional
// administrations (DREETS) give: the region's code, the department's two
// digits, a five-digit serial and the department's digits again. Overseas
// departments use their last two digits, Corsica 20.
func (g *generator) nda(region, department string) string {
	d := department
	switch {
	case d == "2A" || d == "2B":
		d = "20"
	case len(d) == 3:
		d = d[1:]
	}
	var b [11]byte
	for {
		copy(b[0:2], region)
		copy(b[2:4], d)
		n := 1 + g.r.IntN(99_999)
		for i := 8; i >= 4; i-- {
			b[i] = '0' + byte(n%10)
			n /= 10
		}
		copy(b[9:11], d)
		if s := string(b[:]); !g.ndas[s] {
			g.ndas[s] = true
			return s
		}
	}
}
