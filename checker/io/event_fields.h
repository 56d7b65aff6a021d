// The members of an event (DESIGN.md section 2) that importers keep, shared by the JSON Lines
// and EDN importers so both recognize the same names.
#pragma once

#include <string_view>

namespace faultline::checker::io::internal {

// As bits, so an importer can track which members it has seen.
enum EventField : unsigned {
  kIndex = 1u << 0,
  kTime = 1u << 1,
  kProcess = 1u << 2,
  kType = 1u << 3,
  kF = 1u << 4,
  kKey = 1u << 5,
  kValue = 1u << 6,
  kError = 1u << 7,
  kNode = 1u << 8,  // the node that served the operation (shown in reports)
  kOther = 0,       // kept in no field: ignored
};

// Dispatches on length first: this runs once per member of every event.
inline EventField EventFieldOf(std::string_view name) {
  switch (name.size()) {
    case 1:
      return name == "f" ? kF : kOther;
    case 3:
      return name == "key" ? kKey : kOther;
    case 4:
      return name == "type" ? kType : name == "time" ? kTime : name == "node" ? kNode : kOther;
    case 5:
      return name == "value"   ? kValue
             : name == "index" ? kIndex
             : name == "error" ? kError
                               : kOther;
    case 7:
      return name == "process" ? kProcess : kOther;
    default:
      return kOther;
  }
}

}  // namespace faultline::checker::io::internal
