package marketplace

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
)

// RightsShards is how many ledger accounts the State's issuance of yearly
// rights is spread over. Every yearly credit debits the issuance; on one
// account, every credit of the yearly run would append to that one
// account's entries, one writer at a time (on MongoDB the writers race for
// its next entry number). Spread over shards, the credits of different
// learners go to different accounts and run side by side. The shards are
// source accounts like the single one was: what they issued together is
// minus the sum of their balances (RightsIssued).
const RightsShards = 16

// prefixRightsShard begins the name of a shard: "source:rights:07".
const prefixRightsShard = prefixRights + ":"

// RightsSourceFor returns the shard of the rights issuance that credits
// learner account accountID, chosen by a hash of the ID (SHA-256, so that every process and
// version agrees and similar IDs spread evenly): the same account
// always draws on the same shard.
func RightsSourceFor(accountID string) LedgerAccount {
	sum := sha256.Sum256([]byte(accountID))
	return LedgerAccount(fmt.Sprintf("%s%02d", prefixRightsShard, binary.BigEndian.Uint32(sum[:4])%RightsShards))
}

// IsRightsSource reports whether a is the issuance of yearly rights: a
// shard, or the single account that ledgers written before the shards
// used (RightsSource), whose entries stay.
func (a LedgerAccount) IsRightsSource() bool {
	return a == RightsSource || strings.HasPrefix(string(a), prefixRightsShard)
}

// RightsIssued returns the rights issued in all, from every account's
// balance: minus the sum of the issuance accounts' balances.
func RightsIssued(balances map[LedgerAccount]int64) int64 {
	var n int64
	for a, b := range balances {
		if a.IsRightsSource() {
			n -= b
		}
	}
	return n
}
