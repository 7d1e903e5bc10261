(** * The flipped-kernel equivalence, one axis

    PyTorch's transposed convolution of a signal [x] of length [L] with a
    kernel [w] of [K] taps (stride [s], dilation [d], padding [pb] before and
    [pa] after, output padding [op]) equals the stride-1 convolution, with
    dilation [d], of the zero-inserted input padded by
    [P_l = d(K-1) - pb] and [P_r = d(K-1) - pa + op] (a negative pad crops)
    with the flipped kernel [w'[κ] = w[K-1-κ]].

    The model.  A signal is a function [nat -> R] with an explicit length;
    only positions below the length are ever read.  Lengths and pads are
    integers ([int]), so a crop is a negative pad.  Every sum is a
    MathComp [\sum_(i < n)].

    - [conv_transpose1d] is the scatter form PyTorch computes:
      [y[j] = Σ_(i<L) Σ_(k<K) x[i] w[k] [j = i·s + k·d − pb]] for
      [0 ≤ j < out_len], the index relation of tconvmat's [spec.input_index]
      read from the output side;
    - [upsample] inserts [s − 1] zeros between neighbours:
      [u[t] = Σ_(i<L) x[i] [t = i·s]], of length [up_len = (L − 1)·s + 1];
    - [pad u n P_l] is [u] (of length [n]) moved right by [P_l] (left by
      [−P_l] when [P_l < 0]), zero outside [u]; with [P_r] it has length
      [n + P_l + P_r].  Pad first, then crop: only the left offset and the
      length matter;
    - [conv1d v w K 1 d] is PyTorch's convolution (cross-correlation) with
      stride 1 and dilation [d]: [z[o] = Σ_(κ<K) w[κ] v[o + κ·d]], of length
      [conv1_len n K d = n − d(K − 1)] on a signal of length [n]. *)

From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp Require Import zify ring.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.
Local Open Scope ring_scope.
Unset Lia Cache.
Unset Nia Cache.

(** ** Shape arithmetic, in integers *)

(** [L_out = (L − 1)·s − pb − pa + d(K − 1) + op + 1]. *)
Definition out_len (L K s d pb pa op : nat) : int :=
  (L%:Z - 1) * s%:Z - pb%:Z - pa%:Z + d%:Z * (K%:Z - 1) + op%:Z + 1.

(** Length of the zero-inserted input, [(L − 1)·s + 1]. *)
Definition up_len (L s : nat) : int := (L%:Z - 1) * s%:Z + 1.

(** Pads of the equivalent convolution; negative means crop. *)
Definition P_l (K d pb : nat) : int := d%:Z * (K%:Z - 1) - pb%:Z.
Definition P_r (K d pa op : nat) : int := d%:Z * (K%:Z - 1) - pa%:Z + op%:Z.

(** Length of a signal of length [n] padded by [Pl] and [Pr]. *)
Definition pad_len (n Pl Pr : int) : int := n + Pl + Pr.

(** Output length of a stride-1, unpadded convolution on length [n]. *)
Definition conv1_len (n : int) (K d : nat) : int := n - d%:Z * (K%:Z - 1).

(** The index relation: input [i] reaches output [j] through tap [k]
    when [j = i·s + k·d − pb]. *)
Definition hit (s d pb : nat) (j i k : nat) : bool :=
  j%:Z == (i * s + k * d)%N%:Z - pb%:Z.

Section Defs.
Variable R : comRingType.
Implicit Types (x w u v : nat -> R).

(** PyTorch's transposed convolution, scatter form. *)
Definition conv_transpose1d x w (L K s d pb : nat) (j : nat) : R :=
  \sum_(i < L) \sum_(k < K) x i * w k *+ hit s d pb j i k.

(** Zero insertion: [s − 1] zeros between neighbours. *)
Definition upsample x (L s : nat) (t : nat) : R :=
  \sum_(i < L) x i *+ (t == i * s)%N.

(** [u] of length [n], padded by [Pl] on the left (cropped when [Pl < 0]). *)
Definition pad u (n Pl : int) (t : nat) : R :=
  let r := t%:Z - Pl in if (0 <= r) && (r < n) then u (absz r) else 0.

(** The flipped kernel, [w'[κ] = w[K − 1 − κ]]. *)
Definition flip w (K : nat) (k : nat) : R := w (K.-1 - k)%N.

(** PyTorch's convolution (cross-correlation), stride [s], dilation [d],
    no padding: [z[o] = Σ_(k<K) w[k] v[o·s + k·d]]. *)
Definition conv1d v w (K s d : nat) (o : nat) : R :=
  \sum_(k < K) w k * v (o * s + k * d)%N.

End Defs.

(** ** The theorem

    For every commutative ring and every parameter value (no hypothesis):
    the two sides agree at every position [j]; the stride-1 convolution of
    the padded signal has exactly [out_len] outputs; and for [0 ≤ j < out_len]
    every tap reads inside the padded signal [[0, pad_len)]. *)
Definition flipped_kernel_equivalence_1d : Prop :=
  forall (R : comRingType) (x w : nat -> R) (L K s d pb pa op : nat),
  let n := up_len L s in
  let len_v := pad_len n (P_l K d pb) (P_r K d pa op) in
  [/\ forall j : nat,
        conv_transpose1d x w L K s d pb j
        = conv1d (pad (upsample x L s) n (P_l K d pb)) (flip w K) K 1 d j,
      conv1_len len_v K d = out_len L K s d pb pa op
    & forall j k : nat, j%:Z < out_len L K s d pb pa op -> (k < K)%N ->
        0 <= (j * 1 + k * d)%N%:Z < len_v].

(** ** Lemmas *)

Section Proofs.
Variable R : comRingType.
Implicit Types (x w : nat -> R).

(** The zero-inserted input, padded, read at [t]: the inputs [i] with
    [t − P_l = i·s].  Every [i·s] with [i < L] lies inside [[0, up_len)], so
    the range test of [pad] is implied by the equation. *)
Lemma pad_upsample x L s Pl (t : nat) :
  pad (upsample x L s) (up_len L s) Pl t
  = \sum_(i < L) x i *+ (t%:Z - Pl == (i * s)%N%:Z).
Proof.
rewrite /pad /upsample; case: ifP => [/andP[r0 rn] | out].
  by apply: eq_bigr => i _; congr (_ *+ _); apply/eqP/eqP; lia.
symmetry; apply: big1 => i _; case: eqP => [e | //]; exfalso.
move/negbT/negP: out; apply; rewrite e /up_len; have := ltn_ord i.
by move=> ?; apply/andP; split; nia.
Qed.

(** The index relation after the change of tap [κ = K − 1 − k]:
    [t − P_l = i·s] with [t = j + κ·d] is [j = i·s + k·d − pb]. *)
Lemma hit_flipped s d pb K (j i k : nat) : (k < K)%N ->
  hit s d pb j i k
  = ((j * 1 + (K - k.+1) * d)%N%:Z - P_l K d pb == (i * s)%N%:Z).
Proof. by move=> kK; rewrite /hit /P_l; apply/eqP/eqP; nia. Qed.

Lemma conv_transpose1d_flipped_value x w L K s d pb (j : nat) :
  conv_transpose1d x w L K s d pb j
  = conv1d (pad (upsample x L s) (up_len L s) (P_l K d pb)) (flip w K) K 1 d j.
Proof.
rewrite /conv1d (reindex_inj rev_ord_inj) /=.
under eq_bigr => k _ do rewrite pad_upsample mulr_sumr.
rewrite exchange_big /=; apply: eq_bigr => i _; apply: eq_bigr => k _.
have kK := ltn_ord k.
rewrite /flip mulrnAr mulrC (hit_flipped _ _ _ _ _ kK).
by have -> : (K.-1 - (K - k.+1) = k)%N by lia.
Qed.

Lemma conv_transpose1d_flipped_length L K s d pb pa op :
  conv1_len (pad_len (up_len L s) (P_l K d pb) (P_r K d pa op)) K d
  = out_len L K s d pb pa op.
Proof. by rewrite /conv1_len /pad_len /up_len /P_l /P_r /out_len; ring. Qed.

Lemma conv_transpose1d_flipped_reads L K s d pb pa op (j k : nat) :
  j%:Z < out_len L K s d pb pa op -> (k < K)%N ->
  0 <= (j * 1 + k * d)%N%:Z < pad_len (up_len L s) (P_l K d pb) (P_r K d pa op).
Proof.
rewrite /out_len /pad_len /up_len /P_l /P_r => jL kK.
by apply/andP; split; nia.
Qed.

End Proofs.

Theorem conv_transpose1d_flipped : flipped_kernel_equivalence_1d.
Proof.
move=> R x w L K s d pb pa op n len_v; split.
- exact: conv_transpose1d_flipped_value.
- exact: conv_transpose1d_flipped_length.
- exact: conv_transpose1d_flipped_reads.
Qed.

Print Assumptions conv_transpose1d_flipped.
