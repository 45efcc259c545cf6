"""The nodes under the units: GPU node pools grown, shrunk and lent behind one provider interface.

`sizing` decides (pure); `provider` states the contract every provider keeps; `kwok`,
`clusterapi`, `karpenter` and `lending` keep it; `factory` picks one by name and `instrumented`
measures every call; `nodes`, `pods`, `observe` and `drain` read and move Node and Pod objects.
"""
