(** * Channels and groups

    PyTorch's layouts: the input of a transposed convolution has
    [C_in = g·n] channels, its weight [W] the layout
    [(C_in, C_out/g = m, *kernel)], its output [C_out = g·m] channels.
    Output channel [co] (group [γ = co / m], column [a = co mod m]) sums over
    the input channels [ci] of its group ([ci / n = γ]) the N-d transposed
    convolution of channel [ci] with the kernel [W[ci, a]].

    The equivalent convolution has groups [g] and PyTorch's conv layout
    [(C_out, C_in/g = n, *kernel)]: output channel [co] reads the input
    channels [γ·n + b], [b < n], through the weight
    [W'[γ·m + a, b, κ] = W[γ·n + b, a, K − 1 − κ]] (flip every spatial axis,
    swap in and out channels inside each group). *)

From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp Require Import zify ring.
From TConv Require Import Conv1d NDim.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.
Local Open Scope ring_scope.
Unset Lia Cache.
Unset Nia Cache.

Section Defs.
Variable R : comRingType.
Implicit Types (x v : nat -> seq nat -> R) (W : nat -> nat -> seq nat -> R).

(** PyTorch's transposed convolution with channels and groups, scatter form:
    [y[co, j] = Σ_(0 ≤ ci < g·n, ci / n = co / m) Σ_(i ∈ box L) Σ_(k ∈ box K)
       x[ci, i] W[ci, co mod m, k] [j_a = i_a s_a + k_a d_a − pb_a on every axis]]. *)
Definition conv_transpose (g n m : nat) (ps : seq axis) x W (co : nat) (j : seq nat) : R :=
  \sum_(0 <= ci < g * n | (ci %/ n == co %/ m)%N)
    \sum_(i <- box (map len ps)) \sum_(k <- box (map ker ps))
      x ci i * W ci (co %% m)%N k *+ hits ps j i k.

(** PyTorch's convolution with groups, unpadded, strides [ss], dilations [ds]:
    [z[co, o] = Σ_(b < n) Σ_(k ∈ box K) W'[co, b, k] v[(co / m)·n + b, (o_a s_a + k_a d_a)_a]]. *)
Definition conv_groups (n m : nat) (Ks ss ds : seq nat) v W (co : nat) (o : seq nat) : R :=
  \sum_(b < n) \sum_(k <- box Ks) W co b k * v (co %/ m * n + b)%N (taps ss ds o k).

(** The flipped, channel-swapped weight, in conv layout. *)
Definition flip_swap (n m : nat) (Ks : seq nat) W (co b : nat) (k : seq nat) : R :=
  W (co %/ m * n + b)%N (co %% m)%N (flipi Ks k).

(** Every input channel zero-inserted and padded by [P_l] (crop if negative). *)
Definition upsample_pad (ps : seq axis) x (c : nat) : seq nat -> R :=
  padN (map a_up_len ps) (map a_P_l ps) (upsampleN (map len ps) (map stride ps) (x c)).

End Defs.

(** ** The theorem

    For every commutative ring, group count [g], channels per group [n] (in)
    and [m] (out), number of axes and parameter value: every output channel
    [co < g·m] at every position [j] with [N] coordinates is the same on both
    sides, and [W'] is the per-group channel swap of the flipped [W]. *)
Definition flipped_kernel_equivalence : Prop :=
  forall (R : comRingType) (g n m : nat) (ps : seq axis)
         (x : nat -> seq nat -> R) (W : nat -> nat -> seq nat -> R),
  [/\ forall (co : nat) (j : seq nat), (co < g * m)%N -> size j = size ps ->
        conv_transpose g n m ps x W co j
        = conv_groups n m (map ker ps) (nseq (size ps) 1%N) (map dil ps)
            (upsample_pad ps x) (flip_swap n m (map ker ps) W) co j
    & forall (γ a b : nat) (k : seq nat), (a < m)%N ->
        flip_swap n m (map ker ps) W (γ * m + a) b k = W (γ * n + b)%N a (flipi (map ker ps) k)].

(** ** Lemmas *)

Section Proofs.
Variable R : comRingType.

Lemma big_nat_false m p (P : pred nat) (F : nat -> R) :
  (forall i, (m <= i < p)%N -> ~~ P i) -> \sum_(m <= i < p | P i) F i = 0.
Proof. by move=> H; rewrite big_nat_cond big1 // => i /andP[/H /negP nP /nP []]. Qed.

(** The input channels of group [γ] are [γ·n + b], [b < n]. *)
Lemma sum_group g n γ (F : nat -> R) : (γ < g)%N ->
  \sum_(0 <= ci < g * n | (ci %/ n == γ)%N) F ci = \sum_(b < n) F (γ * n + b)%N.
Proof.
move=> γg; case: n => [|n]; first by rewrite muln0 big_geq // big_ord0.
have n0 : (0 < n.+1)%N by [].
rewrite -(big_mkord xpredT (fun b => F (γ * n.+1 + b)%N)).
have h1 : (γ * n.+1 <= γ * n.+1 + n.+1)%N by rewrite leq_addr.
have h2 : (γ * n.+1 + n.+1 <= g * n.+1)%N by rewrite -mulSnr leq_mul2r γg orbT.
rewrite (big_cat_nat _ _ _ (leq0n _) (leq_trans h1 h2)) /=.
rewrite (big_cat_nat _ _ _ h1 h2) /=.
rewrite big_nat_false ?add0r => [|i /andP[_ hi]]; last first.
  by rewrite neq_ltn ltn_divLR // hi.
rewrite [X in _ + X]big_nat_false ?addr0 => [|i /andP[hi _]]; last first.
  by rewrite neq_ltn orbC (leq_divRL _ _ n0) mulSnr hi.
rewrite -{1}[(γ * n.+1)%N]add0n big_addn addKn.
rewrite big_nat_cond [RHS]big_nat_cond.
apply: eq_big => [b | b _]; last by rewrite addnC.
apply/andP/andP => -[hb _]; split => //.
by move: hb => /= bn; rewrite addnC divnMDl // divn_small // addn0.
Qed.

Lemma flip_swap_index n m Ks (W : nat -> nat -> seq nat -> R) γ a b k : (a < m)%N ->
  flip_swap n m Ks W (γ * m + a) b k = W (γ * n + b)%N a (flipi Ks k).
Proof.
move=> am; have m0 : (0 < m)%N by apply: leq_ltn_trans am.
by rewrite /flip_swap divnMDl // divn_small // addn0 modnMDl modn_small.
Qed.

Lemma conv_transpose_flipped_value g n m ps (x : nat -> seq nat -> R) W co (j : seq nat) :
  (co < g * m)%N -> size j = size ps ->
  conv_transpose g n m ps x W co j
  = conv_groups n m (map ker ps) (nseq (size ps) 1%N) (map dil ps)
      (upsample_pad ps x) (flip_swap n m (map ker ps) W) co j.
Proof.
move=> cogm sj.
have m0 : (0 < m)%N by case: m cogm => //; rewrite muln0.
have γg : (co %/ m < g)%N by rewrite ltn_divLR.
rewrite /conv_transpose (sum_group _ _ γg); apply: eq_bigr => b _.
exact: conv_transposeN_flipped_value.
Qed.

End Proofs.

Theorem conv_transpose_flipped : flipped_kernel_equivalence.
Proof.
move=> R g n m ps x W; split.
- exact: conv_transpose_flipped_value.
- exact: flip_swap_index.
Qed.

Print Assumptions conv_transpose_flipped.
