package store

import "testing"

// BenchmarkTokenCheck is what every authenticated request pays to check a
// port token: hashing the presented token and comparing the hash with the
// stored one.
func BenchmarkTokenCheck(b *testing.B) {
	token := NewToken()
	stored := HashToken(token)
	b.ReportAllocs()
	for b.Loop() {
		if !SameHash(HashToken(token), stored) {
			b.Fatal("the token's own hash does not match")
		}
	}
}
