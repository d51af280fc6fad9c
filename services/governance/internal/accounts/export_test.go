package accounts

import "golang.org/x/crypto/argon2"

func argonKey(password, salt string, time, memory uint32, threads uint8) []byte {
	return argon2.IDKey([]byte(password), []byte(salt), time, memory, threads, 32)
}
