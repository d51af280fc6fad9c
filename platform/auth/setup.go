package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Keys are where a binary's verification keys come from.
type Keys struct {
	// JWKS is a JWKS file or URL of an identity provider (e.g. Keycloak).
	JWKS string
	// DataDir, when set, holds the one-machine signing key (created on first use); its
	// public key verifies too.
	DataDir string
	// Audience tokens must carry (default "tongdu").
	Audience string
}

// Setup builds the verifier of a binary and, with a data dir, the signer of local tokens.
// At least one key source is needed: a service never runs without checking callers.
func Setup(ctx context.Context, k Keys) (*Verifier, *Signer, error) {
	set := jwk.NewSet()
	var signer *Signer
	if k.DataDir != "" {
		s, pub, err := LocalKeys(k.DataDir)
		if err != nil {
			return nil, nil, fmt.Errorf("local signing key: %w", err)
		}
		signer = s
		if k.Audience != "" {
			signer.audience = k.Audience
		}
		if err := addAll(set, pub); err != nil {
			return nil, nil, err
		}
	}
	local := set
	if k.JWKS != "" {
		ext, err := LoadKeys(ctx, k.JWKS)
		if err != nil {
			return nil, nil, fmt.Errorf("jwks %s: %w", k.JWKS, err)
		}
		merged, err := merge(local, ext)
		if err != nil {
			return nil, nil, err
		}
		set = merged
	}
	if set.Len() == 0 {
		return nil, nil, fmt.Errorf("no keys to check tokens with: set --jwks (a JWKS file or URL)")
	}
	v := NewVerifier(set, k.Audience)
	if strings.HasPrefix(k.JWKS, "http://") || strings.HasPrefix(k.JWKS, "https://") {
		go refresh(ctx, v, local, k.JWKS)
	}
	return v, signer, nil
}

// RefreshEvery is how often the keys of an identity provider's URL are fetched again,
// so a key rotation there is followed without a restart.
const RefreshEvery = 10 * time.Minute

func refresh(ctx context.Context, v *Verifier, local jwk.Set, url string) {
	t := time.NewTicker(RefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ext, err := LoadKeys(ctx, url)
			if err != nil {
				continue // keep the keys we have; the next tick tries again
			}
			if merged, err := merge(local, ext); err == nil {
				v.SetKeys(merged)
			}
		}
	}
}

func merge(a, b jwk.Set) (jwk.Set, error) {
	out := jwk.NewSet()
	if err := addAll(out, a); err != nil {
		return nil, err
	}
	if err := addAll(out, b); err != nil {
		return nil, err
	}
	return out, nil
}

func addAll(dst, src jwk.Set) error {
	for i := 0; i < src.Len(); i++ {
		k, ok := src.Key(i)
		if !ok {
			continue
		}
		if err := dst.AddKey(k); err != nil {
			return err
		}
	}
	return nil
}
