// Region: one anonymous private mapping that JS can touch, madvise, inspect with mincore and unmap.
//
// Ownership: a Mapping is shared by the Region handle and by the backing store of the external
// ArrayBuffer that views it (owned-buffer.h). It is munmapped exactly once: by unmap() while the handle's
// buffer still holds the memory (unmap() detaches it first, so no JS view can reach unmapped memory),
// or else when the last owner lets go. ArrayBuffer.prototype.transfer() moves the memory to a new
// buffer and detaches the handle's; unmap() then only drops the handle's claim, and the munmap happens
// when the buffer that took the memory is collected. A region larger than Node lets an ArrayBuffer be
// (Node 20: 4 GiB) has no buffer; its methods work on the whole of it.
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "advise_batch.h"
#include "errors.h"
#include "features.h"
#include "modules.h"
#include "owned-buffer.h"
#include "vm.h"

namespace rsslab {
namespace {

class Mapping {
 public:
  Mapping(napi_env env, void* addr, size_t length, vm::Reservation res)
      : env_(env), addr_(addr), length_(length), res_(res) {
    // Tell V8 about memory it cannot see, so that dropping many regions triggers a GC that unmaps them.
    Napi::MemoryManagement::AdjustExternalMemory(env_, static_cast<int64_t>(length_));
  }
  ~Mapping() { Release(); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  void* addr() const { return addr_; }
  size_t length() const { return length_; }
  bool mapped() const { return mapped_; }

  // Returns 0 or the errno of munmap. Afterwards the mapping is gone whatever munmap said.
  int Release() {
    if (!mapped_) return 0;
    mapped_ = false;
    int err = vm::Unmap(res_);
    Napi::MemoryManagement::AdjustExternalMemory(env_, -static_cast<int64_t>(length_));
    return err;
  }

 private:
  napi_env env_;
  void* addr_;
  size_t length_;
  vm::Reservation res_;
  bool mapped_ = true;
};

using MappingRef = std::shared_ptr<Mapping>;

struct AdviceName {
  const char* name;
  int advice;
  const char* constant;
  bool Features::*feature;  // nullptr: every Linux we run on has it
};

constexpr AdviceName kAdvice[] = {
    {"dontneed", MADV_DONTNEED, "MADV_DONTNEED", nullptr},
    {"free", MADV_FREE, "MADV_FREE", &Features::madvFree},
    {"hugepage", MADV_HUGEPAGE, "MADV_HUGEPAGE", &Features::madvHugepage},
    {"nohugepage", MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE", &Features::madvHugepage},
    {"collapse", MADV_COLLAPSE, "MADV_COLLAPSE", &Features::madvCollapse},
    {"cold", MADV_COLD, "MADV_COLD", &Features::madvCold},
    {"pageout", MADV_PAGEOUT, "MADV_PAGEOUT", &Features::madvPageout},
    {"willneed", MADV_WILLNEED, "MADV_WILLNEED", nullptr},
};

std::string AdviceList() {
  std::string s;
  for (const auto& a : kAdvice) s += std::string(s.empty() ? "" : ", ") + "'" + a.name + "'";
  return s;
}

class Region : public Napi::ObjectWrap<Region> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Region",
                       {
                           InstanceAccessor<&Region::Address>("address"),
                           InstanceAccessor<&Region::Length>("length"),
                           InstanceAccessor<&Region::Mapped>("mapped"),
                           InstanceAccessor<&Region::Buffer>("buffer"),
                           InstanceMethod<&Region::Touch>("touch"),
                           InstanceMethod<&Region::Advise>("advise"),
                           InstanceMethod<&Region::AdviseStrided>("adviseStrided"),
                           InstanceMethod<&Region::AdviseRanges>("adviseRanges"),
                           InstanceMethod<&Region::Residency>("residency"),
                           InstanceMethod<&Region::Checksum>("checksum"),
                           InstanceMethod<&Region::SetName>("setName"),
                           InstanceMethod<&Region::Unmap>("unmap"),
                       });
  }

  explicit Region(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Region>(info) {
    Napi::Env env = info.Env();
    size_t requested = 0;
    bool alignHuge = false;
    if (!ArgSize(info, 0, "length", &requested) || !ArgBool(info, 1, "alignHuge", &alignHuge)) return;
    const Features& f = GetFeatures();
    if (requested == 0) {
      ThrowRange(env, "\"length\" must be > 0 bytes");
      return;
    }
    // mmap works in whole pages; the region reports the length actually mapped.
    size_t length = (requested + f.pageSize - 1) & ~(f.pageSize - 1);
    void* addr = nullptr;
    vm::Reservation res;
    int err = vm::MapAnon(length, alignHuge ? f.hugePageSize : 0, &addr, &res);
    if (err != 0) {
      ThrowSystemError(env, err, "mmap",
                       "(NULL, " + std::to_string(length) + ", PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)");
      return;
    }
    map_ = std::make_shared<Mapping>(env, addr, length, res);
    address_ = reinterpret_cast<uintptr_t>(addr);
    length_ = length;
    napi_value ab = nullptr;
    if (NewOwnedArrayBuffer(env, addr, length, map_, &ab, &bufferRefused_)) {
      buffer_ = Napi::Persistent(Napi::ArrayBuffer(env, ab));
    }
  }

 private:
  // offset/length arguments at i, i+1: integers, inside the region; the region must still be mapped.
  bool Range(const Napi::CallbackInfo& info, size_t i, const char* method, size_t* offset, size_t* length) {
    if (!map_ || !map_->mapped()) {
      ThrowUnmapped(info.Env(), std::string("Region.") + method + "()");
      return false;
    }
    if (!ArgSize(info, i, "offset", offset) || !ArgSize(info, i + 1, "length", length)) return false;
    size_t size = map_->length();
    if (*offset > size || *length > size - *offset) {
      ThrowRange(info.Env(), std::string("Region.") + method + "(): offset " + std::to_string(*offset) + " + length " +
                                 std::to_string(*length) + " is past the end of the region (" + std::to_string(size) +
                                 " bytes)");
      return false;
    }
    return true;
  }

  char* At(size_t offset) const { return static_cast<char*>(map_->addr()) + offset; }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(address_));
  }
  Napi::Value Length(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(length_));
  }
  Napi::Value Mapped(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), map_ && map_->mapped());
  }
  Napi::Value Buffer(const Napi::CallbackInfo& info) {
    if (!buffer_.IsEmpty()) return buffer_.Value();
    ThrowRange(info.Env(), "Region.buffer: Node.js cannot view this " + std::to_string(length_) +
                               "-byte region as one ArrayBuffer (" + bufferRefused_ +
                               "); use the region's touch(), checksum(), residency() and advise() instead");
    return info.Env().Undefined();
  }

  // One write per page is what makes the kernel fault the page in (a read would map the zero page).
  Napi::Value Touch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t offset = 0, length = 0;
    long long value = 0;
    if (!Range(info, 0, "touch", &offset, &length) || !ArgInt(info, 2, "value", 0, 255, &value)) return env.Undefined();
    const size_t page = vm::PageSize();
    const size_t end = offset + length;
    volatile char* base = At(0);
    for (size_t p = offset; p < end; p = (p / page + 1) * page) base[p] = static_cast<char>(value);
    return env.Undefined();
  }

  // The advice at argument i: an index into kAdvice (the fast path: src/core/region.ts resolves the
  // name once) or, for older callers, its name. Checks the kernel has it. nullptr after a throw.
  const AdviceName* ResolveAdvice(const Napi::CallbackInfo& info, size_t i, const char* method) {
    Napi::Env env = info.Env();
    const AdviceName* advice = nullptr;
    if (i < info.Length() && info[i].IsNumber()) {
      const double code = info[i].As<Napi::Number>().DoubleValue();
      if (code >= 0 && code < static_cast<double>(std::size(kAdvice)) && code == static_cast<double>(static_cast<size_t>(code))) {
        advice = &kAdvice[static_cast<size_t>(code)];
      } else {
        ThrowInvalidValue(env, std::string("Region.") + method + "(): unknown advice code " + std::to_string(code) + "; use one of " + AdviceList());
        return nullptr;
      }
    } else {
      std::string name;
      if (!ArgString(info, i, "advice", &name)) return nullptr;
      for (const auto& a : kAdvice) {
        if (name == a.name) advice = &a;
      }
      if (advice == nullptr) {
        ThrowInvalidValue(env, std::string("Region.") + method + "(): unknown advice '" + name + "'; use one of " + AdviceList());
        return nullptr;
      }
    }
    const Features& f = GetFeatures();
    if (advice->feature != nullptr && !(f.*(advice->feature))) {
      ThrowUnsupported(env, std::string("madvise(") + advice->constant + ") is not supported by this kernel", EINVAL, "madvise");
      return nullptr;
    }
    return advice;
  }

  bool PageAligned(Napi::Env env, const char* method, const char* what, size_t value) {
    if (value % vm::PageSize() == 0) return true;
    ThrowRange(env, std::string("Region.") + method + "(): " + what + " " + std::to_string(value) +
                        " is not a multiple of the page size (" + std::to_string(vm::PageSize()) +
                        "); madvise would fail with EINVAL");
    return false;
  }

  Napi::Value Advise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t offset = 0, length = 0;
    if (!Range(info, 0, "advise", &offset, &length)) return env.Undefined();
    const AdviceName* advice = ResolveAdvice(info, 2, "advise");
    if (advice == nullptr || !PageAligned(env, "advise", "offset", offset)) return env.Undefined();
    int err = vm::Advise(At(offset), length, advice->advice);
    if (err != 0) {
      ThrowSystemError(env, err, "madvise", "(" + Hex(At(offset)) + ", " + std::to_string(length) + ", " + advice->constant + ")");
    }
    return env.Undefined();
  }

  // adviseStrided(offset, length, stride, count, advice): `length` bytes every `stride` bytes, `count`
  // times (seed 004: 2 MiB - 4 KiB every 2 MiB). Every call is checked before the first; returns count.
  Napi::Value AdviseStrided(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t offset = 0, length = 0, stride = 0, count = 0;
    if (!Range(info, 0, "adviseStrided", &offset, &length) || !ArgSize(info, 2, "stride", &stride) ||
        !ArgSize(info, 3, "count", &count)) {
      return env.Undefined();
    }
    const AdviceName* advice = ResolveAdvice(info, 4, "adviseStrided");
    if (advice == nullptr || !PageAligned(env, "adviseStrided", "offset", offset)) return env.Undefined();
    if (count > 1 && (stride == 0 || !PageAligned(env, "adviseStrided", "stride", stride))) {
      if (stride == 0) ThrowRange(env, "Region.adviseStrided(): stride must be > 0 when count > 1");
      return env.Undefined();
    }
    // the last call, offset + (count - 1) * stride + length, must end inside the region (Range checked count 1)
    const size_t room = map_->length() - offset - length;
    if (count > 1 && (count - 1) > room / stride) {
      ThrowRange(env, "Region.adviseStrided(): " + std::to_string(count) + " calls of " + std::to_string(length) +
                          " bytes every " + std::to_string(stride) + " from offset " + std::to_string(offset) +
                          " go past the end of the region (" + std::to_string(map_->length()) + " bytes)");
      return env.Undefined();
    }
    BatchOutcome o = rsslab::AdviseStrided(At(0), offset, length, stride, count, advice->advice);
    if (o.err != 0) {
      ThrowBatchFailure(env, o, At(0), count, advice->constant);
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(o.done));
  }

  // adviseRanges(ranges: Float64Array [offset0, length0, offset1, length1, ...], advice). Every range
  // is checked before the first call; returns the number of ranges advised.
  Napi::Value AdviseRanges(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!map_ || !map_->mapped()) {
      ThrowUnmapped(env, "Region.adviseRanges()");
      return env.Undefined();
    }
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      ThrowType(env, "\"ranges\" must be a Float64Array of offset, length pairs");
      return env.Undefined();
    }
    Napi::Float64Array ranges = info[0].As<Napi::Float64Array>();
    if (ranges.ElementLength() % 2 != 0) {
      ThrowRange(env, "Region.adviseRanges(): ranges holds " + std::to_string(ranges.ElementLength()) +
                          " numbers; it needs offset, length pairs");
      return env.Undefined();
    }
    const AdviceName* advice = ResolveAdvice(info, 1, "adviseRanges");
    if (advice == nullptr) return env.Undefined();
    const double* pairs = ranges.Data();
    const size_t n = ranges.ElementLength() / 2;
    const double size = static_cast<double>(map_->length());
    for (size_t k = 0; k < n; k++) {
      const double off = pairs[2 * k], len = pairs[2 * k + 1];
      if (!(off >= 0 && len >= 0 && off <= size && len <= size - off) || off != static_cast<double>(static_cast<size_t>(off)) ||
          len != static_cast<double>(static_cast<size_t>(len))) {
        ThrowRange(env, "Region.adviseRanges(): range " + std::to_string(k) + " (offset " + std::to_string(off) + ", length " +
                            std::to_string(len) + ") is not a whole range inside the region (" + std::to_string(map_->length()) + " bytes)");
        return env.Undefined();
      }
      if (!PageAligned(env, "adviseRanges", "offset", static_cast<size_t>(off))) return env.Undefined();
    }
    BatchOutcome o = rsslab::AdviseRanges(At(0), pairs, n, advice->advice);
    if (o.err != 0) {
      ThrowBatchFailure(env, o, At(0), n, advice->constant);
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(o.done));
  }

  // Per page of [offset rounded down to a page, offset + length): 1 when resident (mincore).
  Napi::Value Residency(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t offset = 0, length = 0;
    if (!Range(info, 0, "residency", &offset, &length)) return env.Undefined();
    const size_t page = vm::PageSize();
    const size_t start = offset / page * page;
    const size_t pages = length == 0 ? 0 : (offset + length - start + page - 1) / page;
    Napi::Uint8Array out = Napi::Uint8Array::New(env, pages);
    size_t resident = 0;
    if (pages != 0) {
      std::vector<unsigned char> vec(pages);
      int err = vm::Residency(At(start), pages * page, vec.data());
      if (err != 0) {
        ThrowSystemError(env, err, "mincore", "(" + Hex(At(start)) + ", " + std::to_string(pages * page) + ")");
        return env.Undefined();
      }
      uint8_t* data = out.Data();
      for (size_t i = 0; i < pages; i++) {
        data[i] = vec[i] & 1;
        resident += data[i];
      }
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("residentPages", Napi::Number::New(env, static_cast<double>(resident)));
    result.Set("pages", out);
    return result;
  }

  Napi::Value Checksum(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t offset = 0, length = 0;
    if (!Range(info, 0, "checksum", &offset, &length)) return env.Undefined();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(At(offset));
    uint64_t sum = 0;  // 255 * 2^53 bytes before it could lose precision as a double: not reachable
    for (size_t i = 0; i < length; i++) sum += p[i];
    return Napi::Number::New(env, static_cast<double>(sum));
  }

  Napi::Value SetName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!map_ || !map_->mapped()) {
      ThrowUnmapped(env, "Region.setName()");
      return env.Undefined();
    }
    std::string name;
    if (!ArgString(info, 0, "name", &name)) return env.Undefined();
    if (name.find('\0') != std::string::npos) {
      ThrowInvalidValue(env, "Region.setName(): name must not contain NUL characters");
      return env.Undefined();
    }
    int err = vm::SetAnonName(map_->addr(), map_->length(), name.c_str());
    if (err == EINVAL) return Napi::Boolean::New(env, false);  // no CONFIG_ANON_VMA_NAME (or a name it refuses)
    if (err != 0) {
      ThrowSystemError(env, err, "prctl", "(PR_SET_VMA, PR_SET_VMA_ANON_NAME, " + Hex(map_->addr()) + ")");
      return env.Undefined();
    }
    return Napi::Boolean::New(env, true);
  }

  Napi::Value Unmap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!map_ || !map_->mapped()) {
      ThrowUnmapped(env, "Region.unmap()");
      return env.Undefined();
    }
    if (!buffer_.IsEmpty()) {
      Napi::ArrayBuffer ab = buffer_.Value();
      if (ab.IsDetached()) {
        // Only JS detaches it before unmap(): transfer() moved the memory to a buffer that may still be
        // alive. Drop the handle's claim; the last owner munmaps.
        map_.reset();
        return env.Undefined();
      }
      ab.Detach();
      if (env.IsExceptionPending()) return env.Undefined();  // not detachable: keep the memory mapped
    }
    void* addr = map_->addr();
    size_t length = map_->length();
    int err = map_->Release();
    if (err != 0) ThrowSystemError(env, err, "munmap", "(" + Hex(addr) + ", " + std::to_string(length) + ")");
    return env.Undefined();
  }

  MappingRef map_;
  uintptr_t address_ = 0;
  size_t length_ = 0;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  std::string bufferRefused_;  // why there is no buffer_, when Node refused one
};

Napi::Value FeaturesObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Features& f = GetFeatures();
  Napi::Object o = Napi::Object::New(env);
  o.Set("madvFree", f.madvFree);
  o.Set("madvCollapse", f.madvCollapse);
  o.Set("madvCold", f.madvCold);
  o.Set("madvPageout", f.madvPageout);
  o.Set("madvHugepage", f.madvHugepage);
  o.Set("vmaAnonName", f.vmaAnonName);
  o.Set("pageSize", Napi::Number::New(env, static_cast<double>(f.pageSize)));
  o.Set("hugePageSize", Napi::Number::New(env, static_cast<double>(f.hugePageSize)));
  return o;
}

}  // namespace

void InitRegion(Napi::Env env, Napi::Object exports) {
  exports.Set("Region", Region::Define(env));
  exports.Set("features", Napi::Function::New(env, FeaturesObject, "features"));
  // advice codes are indices into this list: JS resolves a name to its code once, not per call
  Napi::Array names = Napi::Array::New(env, std::size(kAdvice));
  for (size_t i = 0; i < std::size(kAdvice); i++) names.Set(static_cast<uint32_t>(i), kAdvice[i].name);
  exports.Set("adviceNames", names);
}

}  // namespace rsslab
