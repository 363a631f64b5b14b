#!/usr/bin/env python3
"""Writes a scalar-level I-H-O MLP (tanh hidden, sigmoid out, squared error)
with a gradient kernel over every weight, for compile-time scaling runs:
    python3 bench/scalar_mlp_gen.py 8 8 4 > mlp_8_8_4.cpp"""
import sys

I, H, O = map(int, sys.argv[1:4])
out = ['#include <ctgrad/ctgrad.hpp>', '#include <cstdio>', 'using namespace ctgrad::literals;', 'using ctgrad::var;']
out += [f'constexpr var<"x{i}"> x{i};' for i in range(I)]
out += [f'constexpr var<"t{o}"> t{o};' for o in range(O)]
a = [f'a{h}_{i}' for h in range(H) for i in range(I)]
b = [f'b{o}_{h}' for o in range(O) for h in range(H)]
out += [f'constexpr var<"{w}"> {w};' for w in a + b]
out += [f'constexpr auto h{h} = tanh(' + ' + '.join(f'a{h}_{i}*x{i}' for i in range(I)) + ');' for h in range(H)]
out += [f'constexpr auto o{o} = sigmoid(' + ' + '.join(f'b{o}_{h}*h{h}' for h in range(H)) + ');' for o in range(O)]
out.append('constexpr auto E = ' + ' + '.join(f'pow(o{o} - t{o}, 2_c)' for o in range(O)) + ';')
out.append('constexpr auto k = ctgrad::gradient(E, ' + ', '.join(a + b) + ');')
binds = ', '.join([f'{w} = 0.1' for w in a + b] + [f'x{i} = 0.5' for i in range(I)] + [f't{o} = 0.5' for o in range(O)])
out.append('int main() { const auto r = k(' + binds + '); std::printf("%zu nodes, E = %g\\n", k.node_count, r.value); }')
print('\n'.join(out))
