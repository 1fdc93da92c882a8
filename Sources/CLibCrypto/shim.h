#ifndef MPSHOOK_CLIBCRYPTO_SHIM_H
#define MPSHOOK_CLIBCRYPTO_SHIM_H

// The parts of OpenSSL libcrypto that the Hashing module uses. Only Hashing imports this module.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#endif
