#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bus/event_loop.h"

namespace banger {

struct BusContext;

// What the object sets of one registry share: the bus thread their events are
// carried to, the context their objects are made with, and whether they are
// exported (not before load, when events are stale, nor after unload).
struct ExportState {
  explicit ExportState(EventLoop& loop) : loop(loop) {}

  EventLoop& loop;
  BusContext* ctx = nullptr;
  bool live = false;
  // Set at unload: from then on an object dies where its last owner lets go.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);

  // Hands an object whose last owner may be on a worker back to the bus thread to die.
  template <typename T>
  std::shared_ptr<T> owned_by_bus_thread(std::unique_ptr<T> object) const {
    return std::shared_ptr<T>(object.release(), [&loop = loop, stopping = stopping](T* object) {
      if (*stopping)
        delete object;  // shutdown, on the bus thread, after the workers are gone
      else
        loop.post([object] { delete object; });
    });
  }
};

// The defaults of a kind of exported object (see ObjectSet): made from the
// context and its record, updated from a changed record, announcing its
// removal itself. A kind that needs more hides them with its own.
template <typename RecordType, typename ObjectType>
struct ExportedKind {
  using Record = RecordType;
  using Object = ObjectType;

  static std::unique_ptr<Object> make(BusContext& ctx, const Record& record) {
    return std::make_unique<Object>(ctx, record);
  }
  static void update(Object& object, const Record& record) { object.update(record); }
  static void announce_removal(Object& object) { object.announce_removal(); }
};

// The exported objects of one kind, by key. Their domain events (added,
// changed, removed) arrive on worker threads and are carried to the bus thread,
// where they take effect only while the set is exported; every other member
// runs there. In-flight calls share ownership of an object (see
// authorize_and_run); the last owner, on whatever thread, hands it back to the
// bus thread to die.
//
// Kind says (ExportedKind gives the last three):
//   Record, Object                           the record and the exported object
//   key(record)                              the key of its object in the set
//   record(object), path(object)             read off an object (defined where Object is complete)
//   pick(records, ref)                       the record a user's reference names, else throws Error
//   make(ctx, record) -> unique_ptr<Object>  a new object, exported and announced
//   update(object, record, extra...)         the object refreshed from a changed record
//   announce_removal(object)                 InterfacesRemoved, before it leaves the set
template <typename Kind>
class ObjectSet {
 public:
  using Record = typename Kind::Record;
  using Object = typename Kind::Object;
  using Key = std::remove_cvref_t<decltype(Kind::key(std::declval<const Record&>()))>;

  explicit ObjectSet(ExportState& state, Kind kind = {}) : state_(state), kind_(std::move(kind)) {}
  ObjectSet(const ObjectSet&) = delete;
  ObjectSet& operator=(const ObjectSet&) = delete;

  // What else changes on the bus thread when one of these objects changes or goes.
  void after_change(std::function<void(const Record&)> then) { after_change_ = std::move(then); }
  void after_removal(std::function<void(const Key&)> then) { after_removal_ = std::move(then); }

  // On the bus thread.
  void load(const std::vector<Record>& records) {
    for (const auto& record : records) objects_.emplace(Kind::key(record), make(record));
  }
  // Unexports without InterfacesRemoved.
  void clear() { objects_.clear(); }
  // Exported or not (see ExportState::live); nullptr when there is none.
  Object* find(const Key& key) const {
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : it->second.get();
  }
  Object& resolve(std::string_view ref) const {
    auto all = records();
    return *objects_.at(Kind::key(Kind::pick(std::span<const Record>(all), ref)));
  }
  std::vector<Record> records() const {
    std::vector<Record> out;
    out.reserve(objects_.size());
    for (const auto& [key, object] : objects_) out.push_back(Kind::record(*object));
    return out;
  }
  // f(object) for every object, by key.
  template <typename F>
  void for_each(F f) const {
    for (const auto& [key, object] : objects_) f(std::as_const(*object));
  }
  template <typename F>
  void for_each(F f) {
    for (auto& [key, object] : objects_) f(*object);
  }
  const Kind& kind() const { return kind_; }

  // From any thread.
  void added(const Record& record) {
    state_.loop.post([this, record] {
      if (state_.live && !objects_.contains(Kind::key(record))) objects_.emplace(Kind::key(record), make(record));
    });
  }
  // `extra` goes on to Kind::update with the record (a VM's reason).
  template <typename... Extra>
  void changed(const Record& after, Extra... extra) {
    static_assert((!std::is_same_v<Extra, std::string_view> && ...), "carry an owning copy to the bus thread");
    state_.loop.post([this, after, extra...] {
      auto it = objects_.find(Kind::key(after));
      if (!state_.live || it == objects_.end()) return;
      kind_.update(*it->second, after, extra...);
      if (after_change_) after_change_(after);
    });
  }
  void removed(const Record& record) {
    state_.loop.post([this, key = Key(Kind::key(record))] {
      auto it = objects_.find(key);
      if (!state_.live || it == objects_.end()) return;
      kind_.announce_removal(*it->second);
      objects_.erase(it);
      if (after_removal_) after_removal_(key);
    });
  }

 private:
  std::shared_ptr<Object> make(const Record& record) {
    return state_.owned_by_bus_thread(kind_.make(*state_.ctx, record));
  }

  ExportState& state_;
  Kind kind_;
  std::map<Key, std::shared_ptr<Object>> objects_;
  std::function<void(const Record&)> after_change_;
  std::function<void(const Key&)> after_removal_;
};

}  // namespace banger
