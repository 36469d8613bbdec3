package engine

import "testing"

// TestKeyCacheDropsALookupRacingARevocation: an answer read from storage
// before a revocation is not remembered after it.
func TestKeyCacheDropsALookupRacingARevocation(t *testing.T) {
	var c keyCache
	snap := &snapshot{}
	sum := [32]byte{1}
	_, gen, ok := c.get(sum, snap)
	if ok {
		t.Fatal("empty cache answered")
	}
	c.forget() // a revocation lands while the lookup is out
	c.put(sum, 7, snap, gen)
	if _, _, ok := c.get(sum, snap); ok {
		t.Fatal("a lookup from before the revocation was remembered")
	}
	_, gen, _ = c.get(sum, snap)
	c.put(sum, 7, snap, gen)
	if id, _, ok := c.get(sum, snap); !ok || id != 7 {
		t.Fatalf("get = %d, %v after put; want 7", id, ok)
	}
	if _, _, ok := c.get(sum, &snapshot{}); ok {
		t.Fatal("an entry held under another design")
	}
}

// TestKeyCacheIsBounded: past keyCacheSize keys it starts over.
func TestKeyCacheIsBounded(t *testing.T) {
	var c keyCache
	snap := &snapshot{}
	for i := range keyCacheSize + 10 {
		sum := [32]byte{byte(i), byte(i >> 8), byte(i >> 16)}
		_, gen, _ := c.get(sum, snap)
		c.put(sum, int64(i), snap, gen)
		if len(c.m) > keyCacheSize {
			t.Fatalf("%d keys held, bound %d", len(c.m), keyCacheSize)
		}
	}
}
