// The addon with rsslab's error class registered: every src/core module reaches native through here,
// so a SystemError thrown from C++ is always `instanceof RsslabSystemError`.
import { native, type NativeBinding } from '../native.js';
import { RsslabSystemError } from './errors.js';

let registered: NativeBinding | undefined;

export function binding(): NativeBinding {
  if (registered === undefined) {
    const b = native();
    b.setErrorClass(RsslabSystemError);
    registered = b;
  }
  return registered;
}
